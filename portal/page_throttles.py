"""A request budget for the costly pages and feeds outside the API, like the API's throttles.

The instrument search, the booking week and the quotes it fetches, and the ICS feeds cost
queries per request and answer anyone (the feeds without a session): THROTTLE_PAGES bounds each
caller, with the API throttles' fail-open logic, so a Redis outage serves them unthrottled.
Kept apart from portal.throttles: DRF imports that module while portal.errors, needed here, is
still loading.
"""

from __future__ import annotations

import functools
import math

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework import throttling

from portal.errors import error_body
from portal.security import client_ip
from portal.throttles import FailOpen


class PageThrottle(FailOpen, throttling.SimpleRateThrottle):
    """Pages and feeds outside the API (THROTTLE_PAGES), one budget for all of them: per account
    for signed-in people (a campus shares one address), per address for everyone else."""

    scope = "pages"

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ident = f"user-{user.pk}"
        else:
            ident = client_ip(request) or "unknown"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PasswordThrottle(PageThrottle):
    """The password pages' sends (THROTTLE_PASSWORD): asking for reset e-mails (mail bombing,
    probing addresses), setting a new password from a link, and guessing the old password in
    the change form. Per account when signed in, else per address."""

    scope = "password"


def _throttled_response(request, wait: float | None, *, json: bool):
    seconds = max(1, math.ceil(wait or 0))
    message = _("请求过于频繁，请 %(seconds)s 秒后再试。") % {"seconds": seconds}
    if json:
        response = JsonResponse(
            error_body("throttled", message), status=429, json_dumps_params={"ensure_ascii": False}
        )
    else:
        response = render(request, "frontend/throttled.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def page_throttle(*, json: bool = False, throttle_class=PageThrottle, methods=None):
    """A Django view under PageThrottle (or ``throttle_class``; only ``methods`` when given):
    past the budget it answers 429 with Retry-After, a short page, or with json=True (views the
    pages fetch) the API's one error shape."""

    def decorate(view):
        @functools.wraps(view)
        def throttled_view(request, *args, **kwargs):
            if methods is not None and request.method not in methods:
                return view(request, *args, **kwargs)
            throttle = throttle_class()
            if not throttle.allow_request(request, None):
                return _throttled_response(request, throttle.wait(), json=json)
            return view(request, *args, **kwargs)

        return throttled_view

    return decorate
