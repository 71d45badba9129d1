"""Every admin API error answered as {"error": {"message", "code"}} with its status."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from appliance.errors import OpteraError

log = logging.getLogger(__name__)
CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
}


def error_response(
    status: int, message: str, code: str, details: list[Any] | None = None
) -> Response[dict[str, Any]]:
    error: dict[str, Any] = {"message": message, "code": code}
    if details:
        error["details"] = details
    headers = {"www-authenticate": "Bearer"} if status == 401 else None
    return Response({"error": error}, status_code=status, headers=headers)


def optera_error(request: Request, exc: OpteraError) -> Response[dict[str, Any]]:
    return error_response(exc.status, exc.message, exc.code)


def http_error(request: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    """Litestar's own errors: unknown paths, wrong methods, bodies that fail checks."""
    status = exc.status_code
    code = CODES.get(status, "error")
    if isinstance(exc, ValidationException):
        details = exc.extra if isinstance(exc.extra, list) else []
        return error_response(status, _validation_message(exc, details), code, details)
    return error_response(status, exc.detail or "Request failed.", code)


def _validation_message(exc: ValidationException, details: list[Any]) -> str:
    for item in details:
        if isinstance(item, dict) and item.get("message"):
            where = item.get("key") or item.get("source") or "body"
            return f"Invalid {where}: {item['message']}."
    return exc.detail or "The request did not pass validation."


def internal_error(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    log.error("admin call %s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(
        500, "The admin API failed on this call; it was logged.", "internal_error"
    )


HANDLERS: dict[Any, Any] = {
    OpteraError: optera_error,
    HTTPException: http_error,
    Exception: internal_error,
}
