"""Domain errors and the API's one error shape.

Every error leaves the API as ``{"error": {"code", "message", "fields"?, "rule"?}}`` with
400, 401, 403, 404, 409, 429 or 503; services raise DomainError subclasses, and database
constraint violations that slip past a service become 409 (unique, exclusion) or 400 (check),
never 500.
"""

import math
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, IntegrityError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import bad_request
from psycopg import errors as pg_errors
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(Exception):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(self, message: str, *, rule: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.fields = fields


class RuleBroken(DomainError):
    """A request breaks a named business rule (400)."""

    code = "rule_broken"


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


# What a rule (each domain's rules.py) answers: None when allowed, else the refusal with its
# message, which a service raises, an API answers and a page shows.
Refusal = DomainError | None


def require(refusal: Refusal) -> None:
    if refusal is not None:
        raise refusal


_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(value):
    """The value with every lone surrogate replaced by U+FFFD: a message that echoes input
    (a choice that is not one, say) must still encode as UTF-8, or the answer would be a 500."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(v) for v in value]
    return value


def error_body(code: str, message: str, *, fields=None, rule=None) -> dict:
    """The one error shape; every error answer, API or page JSON, is built here."""
    body = {"code": code, "message": _encodable(str(message))}
    if fields:
        body["fields"] = _encodable(fields)
    if rule:
        body["rule"] = rule
    return {"error": body}


def out_of_range_message() -> str:
    return _("日期或数值超出了可处理的范围。")


def _integrity_status(exc: IntegrityError) -> tuple[int, str, str]:
    cause = exc.__cause__
    if isinstance(cause, pg_errors.CheckViolation):
        return 400, "constraint_violated", _("数据不满足约束条件。")
    if isinstance(cause, pg_errors.ExclusionViolation):
        return 409, "conflict", _("该时间段已被占用。")
    return 409, "conflict", _("与已有记录冲突。")


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.message, fields=exc.fields, rule=exc.rule),
            status=exc.status_code,
        )
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else None
        message = "; ".join(exc.messages)
        return Response(error_body("invalid", message, fields=fields), status=400)
    if isinstance(exc, IntegrityError):
        code_status, code, message = _integrity_status(exc)
        return Response(error_body(code, message), status=code_status)
    if isinstance(exc, OperationalError | DatabaseError) and not isinstance(exc, IntegrityError):
        return Response(error_body("unavailable", _("数据库暂时不可用，请稍后再试。")), status=503)
    if isinstance(exc, RequestDataTooBig):
        # Raised while DRF reads the body: Django's own answer would be an HTML 400.
        limit = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) / (1024 * 1024)
        message = _("请求体过大（上限 %(limit).1f MB）。") % {"limit": limit}
        return Response(error_body("too_large", message), status=413)
    if isinstance(exc, TooManyFieldsSent):
        return Response(error_body("invalid", _("请求中的字段过多。")), status=400)
    if isinstance(exc, OverflowError):
        # Date arithmetic on a value from outside that slipped past portal.bounds: the
        # input's fault, a 400, never a 500.
        return Response(error_body("out_of_range", out_of_range_message()), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = error_body("invalid", _("输入有误，请检查标出的字段。"), fields=fields)
    elif isinstance(exc, exceptions.Throttled):
        # DRF has already set Retry-After from exc.wait.
        message = (
            _("请求过于频繁，请 %(seconds)s 秒后再试。") % {"seconds": math.ceil(exc.wait)}
            if exc.wait is not None
            else _("请求过于频繁，请稍后再试。")
        )
        response.data = error_body("throttled", message)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        code = getattr(exc, "default_code", "error")
        response.data = error_body(code, str(detail))
    return response


# The codes DRF's own exceptions carry, for an answer that did not come from DRF.
_STATUS_ERRORS = {
    400: exceptions.ParseError,
    401: exceptions.NotAuthenticated,
    403: exceptions.PermissionDenied,
    404: exceptions.NotFound,
    405: exceptions.MethodNotAllowed,
    406: exceptions.NotAcceptable,
    415: exceptions.UnsupportedMediaType,
    429: exceptions.Throttled,
}


def _status_error(status_code: int) -> tuple[str, str]:
    error = _STATUS_ERRORS.get(status_code)
    if error is not None:
        return error.default_code, str(error.default_detail)
    if status_code == 413:
        return "too_large", _("请求体过大。")
    if status_code == 503:
        return "unavailable", _("服务暂时不可用，请稍后再试。")
    if status_code >= 500:
        return "server_error", _("服务器出错了，请稍后再试。")
    return "error", _("请求无法处理。")


class ApiErrorShapeMiddleware:
    """Every error under /api/ leaves in the one error shape, whatever made it: a path no URL
    matches (with DEBUG on Django answers its technical HTML 404 without asking handler404),
    or any other HTML error page Django or a middleware produced. Pages keep their HTML."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path_info.startswith("/api/")
            or response.get("Content-Type", "").startswith("application/json")
            # DRF's answers carry the error shape already (the browsable API shows it as HTML
            # with DEBUG on); rebuilding them would lose their fields.
            or isinstance(response, Response)
        ):
            return response
        code, message = _status_error(response.status_code)
        answer = JsonResponse(
            error_body(code, message),
            status=response.status_code,
            json_dumps_params={"ensure_ascii": False},
        )
        for header in ("Allow", "Retry-After", "WWW-Authenticate", "Vary"):
            if header in response:
                answer[header] = response[header]
        return answer


class OutOfRangeMiddleware:
    """Pages (and views outside DRF): an OverflowError, date arithmetic on a value from outside
    that slipped past portal.bounds, is a 400 page (or the error shape under /api/), not a 500.
    Other exceptions are left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OverflowError):
            return None
        if request.path_info.startswith("/api/"):
            body = error_body("out_of_range", out_of_range_message())
            return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
        return bad_request(request, exception)
