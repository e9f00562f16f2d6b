"""Domain errors: each carries a machine-readable code and a message in both languages.

Hierarchy::

    OneWindowError            code, message (en), message_zh, field (JSON path), status (HTTP)
    ├── InvalidInput          400/422: the request itself is wrong
    ├── NotFound              404: hall, service, window or ticket unknown
    ├── Forbidden             403: signed in, but not allowed to do this
    ├── Unauthorized          401: not signed in, or a bad token
    ├── Conflict              409: the state does not allow it (illegal transition, duplicate)
    ├── RateLimited           429: too many requests from one client or one ID
    └── Unavailable           503: a part the server needs (the database) is down; retry

The HTTP layer turns any of them into ``{"error": {"code", "message", "message_zh"}}``.
"""

from __future__ import annotations


class OneWindowError(Exception):
    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        message_zh: str,
        *,
        field: str | None = None,
        details: dict[str, int | str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.message_zh = message_zh
        # The JSON path of the value at fault, so a form can show the message beside it.
        self.field = field
        # Numbers a client acts on: retry_after (seconds), tries_left.
        self.details = details or {}

    def as_dict(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {
            "code": self.code, "message": self.message, "message_zh": self.message_zh
        }
        if self.field is not None:
            out["field"] = self.field
        out.update(self.details)
        return out


class InvalidInput(OneWindowError):
    status = 422


class NotFound(OneWindowError):
    status = 404


class Unauthorized(OneWindowError):
    status = 401


class Forbidden(OneWindowError):
    status = 403


class Conflict(OneWindowError):
    status = 409


class RateLimited(OneWindowError):
    status = 429


class Unavailable(OneWindowError):
    status = 503
