"""The API's error responses in the OpenAPI schema, declared once for every operation.

Every error leaves the API in one shape (portal.errors). Rather than each view listing its 400,
403, 404, 409, 413, 415 and 429 answers, a drf-spectacular postprocessing hook adds them to each
operation from what the view itself says: its authentication, permission and throttle classes,
whether it has path or query parameters or a body, and whether it writes. Error answers a view
already documents keep their description and get the error body if they had none.
"""

from __future__ import annotations

import re

from rest_framework import permissions, serializers

ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_COMPONENTS = {
    "Error": {
        "type": "object",
        "description": "The one error shape of the API.",
        "properties": {"error": {"$ref": "#/components/schemas/ErrorDetail"}},
        "required": ["error"],
    },
    "ErrorDetail": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "Machine-readable, e.g. invalid, conflict."},
            "message": {"type": "string", "description": "For people, in the request's language."},
            "fields": {
                "type": "object",
                "additionalProperties": {},
                "description": "Per field, what is wrong with it (validation errors only).",
            },
            "rule": {"type": "string", "description": "The business rule a request breaks."},
        },
        "required": ["code", "message"],
    },
}

DESCRIPTIONS = {
    "400": "The request is invalid or breaks a rule (error.fields, error.rule).",
    "401": "Not signed in, or the credentials are wrong.",
    "403": "Not allowed for this person, or the credentials are wrong.",
    "404": "No such object visible to this person.",
    "409": "Conflicts with the current state or with another record.",
    "413": "The request body is too large.",
    "415": "The request body's media type is not accepted.",
    "429": "Too many requests; Retry-After says when to try again.",
}

UNSAFE = {"post", "put", "patch", "delete"}


class ErrorDetailSerializer(serializers.Serializer):
    """For views that name an error answer themselves: ``responses={409: ErrorSerializer}``."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False)
    rule = serializers.CharField(required=False)


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def _shape(path: str) -> str:
    # The schema names path parameters its own way ({pk} becomes {id}); match on the shape.
    return re.sub(r"\{[^}]*\}", "{}", path)


def _views_by_operation(generator) -> dict[tuple[str, str], type]:
    views = {}
    for path, _regex, method, callback in generator.endpoints or []:
        cls = getattr(callback, "cls", None)
        if cls is not None:
            views[(_shape(path), method.lower())] = cls
    return views


def _challenges(view) -> bool:
    """Whether failed authentication answers 401: DRF answers 403 instead when the first
    authentication class sends no WWW-Authenticate challenge (SessionAuthentication)."""
    classes = list(getattr(view, "authentication_classes", []) or [])
    if not classes:
        return False
    try:
        return bool(classes[0]().authenticate_header(None))
    except Exception:
        # A class that needs a real request to answer: assume it challenges.
        return True


def _error_statuses(operation: dict, method: str, view) -> set[str]:
    statuses = set()
    parameters = operation.get("parameters", [])
    if operation.get("requestBody") or any(p.get("in") == "query" for p in parameters):
        statuses.add("400")
    if operation.get("requestBody"):
        statuses |= {"413", "415"}
    if any(p.get("in") == "path" for p in parameters):
        statuses.add("404")
    if any(p.get("in") == "query" and p.get("name") == "page" for p in parameters):
        # Page-number pagination answers a page past the end with 404.
        statuses.add("404")
    if method in UNSAFE:
        # The exception handler turns a unique or exclusion violation on any write into 409.
        statuses.add("409")
    if view is None:
        return statuses
    if getattr(view, "authentication_classes", None):
        # Wrong credentials fail every operation, public ones too.
        statuses.add("401" if _challenges(view) else "403")
    perms = list(getattr(view, "permission_classes", []) or [])
    if any(p is not permissions.AllowAny for p in perms):
        statuses.add("403")
        if _challenges(view):
            statuses.add("401")
    if getattr(view, "throttle_classes", None):
        statuses.add("429")
    return statuses


def add_error_responses(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: the error component and each operation's error answers."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(ERROR_COMPONENTS)
    views = _views_by_operation(generator)
    error_content = {"application/json": {"schema": ERROR_REF}}
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(operation, method, views.get((_shape(path), method))):
                responses.setdefault(status, {"description": DESCRIPTIONS[status]})
            for status, response in responses.items():
                if status.startswith("4") and "content" not in response:
                    response["content"] = error_content
            operation["responses"] = dict(sorted(responses.items()))
    return result
