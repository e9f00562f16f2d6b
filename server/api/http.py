"""The HTTP plumbing every endpoint shares: body parsing, errors, timing.

An endpoint is declared once with its models; the same declaration routes the
request, validates the body, and describes itself in /openapi.json.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..domain.errors import InvalidInput, OneWindowError

log = logging.getLogger("onewindow.http")

Handler = Callable[[Request, Any], Awaitable[Response]]
Observe = Callable[[str, str, int, float], None]
# Looks at the request's bearer token (if any) before the handler runs.
Authenticate = Callable[[Request, bool], Awaitable[None]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    response: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    status: int = 200
    auth: bool = False
    tag: str = "queue"
    query: tuple[tuple[str, str, bool], ...] = ()  # (name, description, required)
    headers: tuple[tuple[str, str, bool], ...] = ()
    # Open to a user who must change their password first (sign-out, the change itself).
    pending_ok: bool = False
    # Sign-in ignores whatever token a client still sends: an ended one must not stop it.
    reads_token: bool = True
    also: tuple[int, ...] = ()  # other success statuses (a PUT: 201 created, 200 replaced)
    # A body limit above the server's, for a document legitimately bigger than a request
    # (a matter with its materials list); 0: the server's.
    max_body: int = 0


def error_response(err: OneWindowError) -> JSONResponse:
    response = JSONResponse({"error": err.as_dict()}, status_code=err.status)
    if "retry_after" in err.details:
        response.headers["retry-after"] = str(err.details["retry_after"])
    return response


def ok(model: BaseModel, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


class BodyReader:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    async def read(self, request: Request, model: type[BaseModel], max_bytes: int = 0) -> BaseModel:
        # The body decides, not the Content-Type: `curl -d` labels JSON as a form.
        limit = max(self.max_bytes, max_bytes)
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > limit:
                raise _too_large(limit)
        try:
            data = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise _err(
                400, "invalid_json", "the body is not valid JSON", "请求内容不是有效的 JSON"
            ) from exc
        _refuse_nul(data, "")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            raise InvalidInput(
                "invalid_request",
                f"{where}: {first['msg']}",
                f"请求参数不正确：{where}",
                field=where,
            ) from exc


def _refuse_nul(value: Any, where: str) -> None:
    """A NUL character anywhere (a key or a string, however deep) is refused: PostgreSQL
    text cannot hold one, so it would fail at the database instead of here."""
    if isinstance(value, str):
        if "\x00" in value:
            raise _nul(where or "body")
    elif isinstance(value, dict):
        for k, v in value.items():
            path = f"{where}.{k}" if where else str(k)
            if "\x00" in k:
                raise _nul(where or "body")
            _refuse_nul(v, path)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _refuse_nul(v, f"{where}.{i}" if where else str(i))


def _nul(where: str) -> OneWindowError:
    return InvalidInput(
        "invalid_request", f"{where}: NUL characters are not allowed",
        f"请求参数不正确：{where} 含有 NUL 字符", field=where,
    )  # fmt: skip


def _check_url(request: Request) -> None:
    """Path and query values reach the database as text too."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if "\x00" in str(name) or "\x00" in str(value):
            raise _nul(str(name).replace("\x00", ""))


def _err(status: int, code: str, en: str, zh: str) -> OneWindowError:
    err = OneWindowError(code, en, zh)
    err.status = status
    return err


def _too_large(limit: int) -> OneWindowError:
    return _err(
        413, "body_too_large", f"the body is over {limit} bytes", f"请求内容超过 {limit} 字节"
    )


def route(ep: Endpoint, reader: BodyReader, observe: Observe, authenticate: Authenticate) -> Route:
    """Wrap an endpoint: check its token, parse its body, turn domain errors into JSON, time it."""

    async def asgi_endpoint(request: Request) -> Response:
        started = time.perf_counter()
        try:
            _check_url(request)
            if ep.reads_token:
                await authenticate(request, ep.pending_ok)
            body = await reader.read(request, ep.body, ep.max_body) if ep.body is not None else None
            response = await ep.handler(request, body)
        except OneWindowError as err:
            response = error_response(err)
        except Exception:
            log.exception("unhandled error in %s %s", ep.method, ep.path)
            response = error_response(
                _err(
                    500,
                    "internal_error",
                    "internal error; it has been logged",
                    "服务器内部错误，已记录",
                )
            )
        observe(ep.method, ep.path, response.status_code, time.perf_counter() - started)
        return response

    return Route(ep.path, asgi_endpoint, methods=[ep.method])
