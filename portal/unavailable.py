"""A lost database connection answers 503 ("try again"), not 500 ("we are broken").

The API's exception handler (portal.errors) already does this for DRF views; this middleware
does it for every other view. The answer is built without touching the database or the
templates (whose context processors would read the session and the user, from the database
that is gone). The transaction the view was in is rolled back by PostgreSQL with the lost
connection, so nothing half-written stays behind.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

from portal.errors import error_body

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def _wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable on %s %s: %s", request.method, request.path, exception)
        message = _("数据库暂时不可用，请稍后再试。")
        if _wants_json(request):
            response = JsonResponse(error_body("unavailable", message), status=503)
        else:
            text = escape(message)
            response = HttpResponse(
                f'<!doctype html><html lang="zh-hans"><meta charset="utf-8">'
                f"<title>{text}</title><h1>503</h1><p>{text}</p></html>",
                status=503,
                content_type="text/html; charset=utf-8",
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
