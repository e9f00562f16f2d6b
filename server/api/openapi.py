"""/openapi.json, generated from the same endpoint declarations and models that validate."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import schemas
from .http import Endpoint

_REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"{(\w+)}")


def build(endpoints: Iterable[Endpoint], version: str) -> dict[str, Any]:
    endpoints = list(endpoints)
    models: set[type[BaseModel]] = {schemas.ErrorResponse}
    for ep in endpoints:
        models.update(m for m in (ep.body, ep.response) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    _, defs = models_json_schema([(m, "validation") for m in ordered], ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OneWindow 一窗通",
            "version": version,
            "description": "Queueing and window coordination for government service halls.",
        },
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _operation(ep: Endpoint) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
        for p in _PARAM.findall(ep.path)
    ]
    params += [
        {"name": n, "in": "query", "required": req, "description": d, "schema": {"type": "string"}}
        for n, d, req in ep.query
    ]
    params += [
        {"name": n, "in": "header", "required": req, "description": d, "schema": {"type": "string"}}
        for n, d, req in ep.headers
    ]
    ok: dict[str, Any] = {"description": "OK"}
    if ep.response is not None:
        ok["content"] = {"application/json": {"schema": _ref(ep.response)}}
    error = {"content": {"application/json": {"schema": _ref(schemas.ErrorResponse)}}}
    responses: dict[str, Any] = {
        str(ep.status): ok,
        "4XX": {
            "description": "Refused (code, message, message_zh, field?); nothing was changed."
            " 429 (too many requests) also carries retry_after and a Retry-After header.",
            **error,
        },
        "5XX": {
            "description": "Server error (500, logged), or 503 while the database is unreachable",
            **error,
        },
    }
    responses.update({str(status): ok for status in ep.also})
    if ep.response is schemas.Health:
        # /healthz answers 503 with the same body when the database or Redis is down.
        responses["503"] = {"description": "Degraded", "content": ok["content"]}
    op: dict[str, Any] = {
        "summary": ep.summary,
        "tags": [ep.tag],
        "operationId": _operation_id(ep),
        "parameters": params,
        "responses": responses,
    }
    if ep.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(ep.body)}},
        }
    if ep.auth:
        op["security"] = [{"bearer": []}]
    return op


def _operation_id(ep: Endpoint) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", _PARAM.sub(r"\1", ep.path).lower()).strip("_")
    return f"{ep.method.lower()}_{words}"
