"""Login lockout (django-axes) and the client address both axes and the throttles use.

Axes counts failed logins per username *and* address in the database (it keeps working when
Redis is down); after AXES_FAILURE_LIMIT failures that pair waits AXES_COOLOFF_TIME, and
portal.signin adds a budget of failures per address alone. A locked out client gets 429: the
API's one error shape under /api/, a page everywhere else.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from portal.errors import DomainError, error_body


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front, the address the nearest of
    them saw (X-Forwarded-For entries to the left of that are the client's to forge)."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded:
        return remote
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return remote
    return addresses[-min(proxies, len(addresses))]


def _cool_off_minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    hours = cool_off.total_seconds() / 3600 if hasattr(cool_off, "total_seconds") else cool_off
    return max(1, round(float(hours or 0) * 60))


def _address_blocked_for(request) -> int:
    # Set by portal.signin when the address, not the username and address, is locked out.
    return getattr(request, "signin_address_blocked_for", 0) if request is not None else 0


def lockout_message(request=None) -> str:
    if seconds := _address_blocked_for(request):
        return _("此网络地址登录失败次数过多，请 %(minutes)s 分钟后再试。") % {
            "minutes": math.ceil(seconds / 60)
        }
    return _("登录失败次数过多，请 %(minutes)s 分钟后再试。") % {"minutes": _cool_off_minutes()}


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: what a locked-out client sees instead of the login result."""
    retry_after = str(_address_blocked_for(request) or _cool_off_minutes() * 60)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            error_body("locked_out", lockout_message(request)),
            status=429,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"message": lockout_message(request)},
            status=429,
        )
    response["Retry-After"] = retry_after
    return response


class LockedOut(DomainError):
    status_code = 429
    code = "locked_out"
