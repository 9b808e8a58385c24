"""Every error is a JSON body ``{"status", "error", "message"}`` (MBS's shape), never a page.

``ApiError`` is what a view raises on purpose; HTTP errors raised by routing
(unknown route, wrong method, body too large) get the same shape; anything
else is a 500 whose body carries only an error id, logged with the traceback.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.http import HTTP_STATUS_CODES

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error response: status code, a message for the caller, optional extra fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.headers = headers or {}
        self.extra = extra


def error_response(status: int, message: str, **extra: Any) -> Response:
    body = {
        "status": status,
        "error": HTTP_STATUS_CODES.get(status, "Error"),
        "message": message,
        **extra,
    }
    response = jsonify(body)
    response.status_code = status
    return response


def _api_error(exc: ApiError) -> Response:
    response = error_response(exc.status, exc.message, **exc.extra)
    response.headers.update(exc.headers)
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    response = error_response(status, exc.description or HTTP_STATUS_CODES.get(status, "Error"))
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return response


def _unexpected(exc: Exception) -> Response:
    error_id = str(uuid.uuid4())
    log.error("unexpected error, error id %s: %s", error_id, exc, exc_info=exc)
    return error_response(
        500,
        f"internal error; quote error id {error_id} when you report it",
        error_id=error_id,
    )


def register(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
