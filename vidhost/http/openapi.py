"""The OpenAPI document: FastAPI's, made true to what the server answers.

FastAPI documents what it can see in signatures; :func:`install` adds what it cannot:

- the error body (``ErrorBody``) and, per status, the codes of the catalogue
  (``Error404``: ``code`` is one of the 404 codes), on every 4xx/5xx response; the whole
  catalogue in ``x-error-codes`` and in the description;
- 400 (not FastAPI's 422) wherever a parameter or body is validated, 413 wherever there is
  a body (every body has a size limit); 401 and the bearer
  security requirement wherever the route needs a token; 404 wherever a path has parameters
  (an unknown id, or a value that matches no route);
- the path parameters of routes that do not declare them (``OPTIONS .../{upload_id}``), the
  headers that tus (``Tus-Resumable``) and byte serving (``Range``, ``If-None-Match``,
  ``If-Range``) read, and one operationId per method of multi-method routes (GET and HEAD);
- not FastAPI's default ``application/json`` next to the media types a route declares.

Routes document their own specific errors and media types (``responses=``); ``binary``
builds the responses of a route that serves stored bytes.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from vidhost.core import error_codes
from vidhost.http.deps import current_user
from vidhost.http.tus import require_tus_version
from vidhost.http.tus_middleware import TUS_VERSION

Responses = dict[int | str, dict[str, Any]]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")
_REF = "#/components/schemas/"


def binary(
    *media_types: str, description: str, ranges: bool = True, redirect: bool = False
) -> Responses:
    """The responses of a route that serves stored bytes of ``media_types`` (a JSON file is
    an object when whole, bytes when a range of it is asked for)."""
    raw = {"type": "string", "format": "binary"}
    content = {t: {"schema": raw} for t in media_types}
    whole = {t: {"schema": {"type": "object"} if t.endswith("json") else raw} for t in media_types}
    responses: Responses = {200: {"description": description, "content": whole}}
    if ranges:
        responses[206] = {"description": "The requested byte range", "content": content}
        responses[304] = {"description": "Not modified (If-None-Match / If-Modified-Since)"}
        responses[416] = {"description": "The Range lies outside the object"}
    if redirect:
        responses[302] = {"description": "Redirect to a pre-signed storage URL (S3 redirect mode)"}
    return responses


def error_schemas() -> dict[str, Any]:
    """``ErrorBody`` and one ``Error{status}`` per status of the catalogue."""
    schemas: dict[str, Any] = {
        "ErrorBody": {
            "title": "ErrorBody",
            "type": "object",
            "required": ["error", "code"],
            "properties": {
                "error": {"type": "string", "description": "A human-readable message"},
                "code": {
                    "type": "string",
                    "enum": list(error_codes.CATALOGUE),
                    "description": "A stable machine code (see x-error-codes)",
                },
                "fields": {
                    "type": "array",
                    "description": "invalid_request: the fields that failed validation",
                    "items": {
                        "type": "object",
                        "properties": {"field": {"type": "string"}, "msg": {"type": "string"}},
                    },
                },
            },
        }
    }
    for status in error_codes.statuses():
        schemas[f"Error{status}"] = {
            "title": f"Error{status}",
            "allOf": [
                {"$ref": _REF + "ErrorBody"},
                {"properties": {"code": {"enum": error_codes.codes_for(status)}}},
            ],
        }
    return schemas


def _needs(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _needs(d, call) for d in dependant.dependencies)


def _api_routes(routes: Iterable[Any], prefix: str = "") -> Iterable[tuple[str, APIRoute]]:
    """(path, route) of every APIRoute, through included routers (FastAPI includes lazily)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path_format, route
        elif (included := getattr(route, "original_router", None)) is not None:
            context = getattr(route, "include_context", None)
            yield from _api_routes(included.routes, prefix + getattr(context, "prefix", ""))


def _needing(app: FastAPI, call: Callable[..., Any]) -> set[tuple[str, str]]:
    """(path, method) of every operation whose route depends on ``call``."""
    found: set[tuple[str, str]] = set()
    for path, route in _api_routes(app.routes):
        if _needs(route.dependant, call):
            found.update((path, m.lower()) for m in route.methods or ())
    return found


def _error_response(status: int, description: str) -> dict[str, Any]:
    ref = f"Error{status}" if status in error_codes.statuses() else "ErrorBody"
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF + ref}}},
    }


def _add(responses: dict[str, Any], status: int, description: str) -> None:
    responses.setdefault(str(status), {"description": description})


def _operation_ids(paths: dict[str, Any]) -> None:
    for path_item in paths.values():
        for method, op in path_item.items():
            if method in METHODS and "operationId" in op:
                base = re.sub(rf"_({'|'.join(METHODS)})$", "", op["operationId"])
                op["operationId"] = f"{base}_{method}"


def _operations(paths: dict[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    for path, item in paths.items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


CONDITIONAL = [
    {
        "name": name,
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": description,
    }
    for name, description in (
        ("Range", "One `bytes=start-end` range (206, or 416 outside the object)"),
        ("If-None-Match", "ETags; 304 when one matches"),
        ("If-Range", "The ETag or Last-Modified the Range is conditional on"),
    )
]
"""The request headers of a route that serves stored bytes (``ranges.object_response``)."""

TUS_RESUMABLE = {
    "name": "Tus-Resumable",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "enum": [TUS_VERSION]},
}


_METHOD_ORDER = {
    m: i for i, m in enumerate(("get", "head", "post", "put", "patch", "delete", "options"))
}


def complete(
    schema: dict[str, Any],
    authenticated: set[tuple[str, str]],
    versioned: set[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Add what FastAPI cannot see to ``schema`` (in place) and return it.

    ``authenticated``: the operations that need a bearer token; ``versioned``: the tus
    operations that need ``Tus-Resumable``.
    """
    paths: dict[str, Any] = schema.get("paths", {})
    for path, item in paths.items():
        # A GET+HEAD route's methods are a set: order them so the document is the same
        # in every process (pytest-xdist workers compare what they collect).
        paths[path] = dict(sorted(item.items(), key=lambda kv: _METHOD_ORDER.get(kv[0], 99)))
    _operation_ids(paths)
    for path, method, op in _operations(paths):
        params = op.setdefault("parameters", [])
        if versioned and (path, method) in versioned:
            params.append(dict(TUS_RESUMABLE))
        if "206" in op.get("responses", {}):
            params.extend(dict(p) for p in CONDITIONAL)
        declared = {(p["in"], p["name"]) for p in params}
        for name in _PARAM.findall(path):
            if ("path", name) not in declared:
                params.append(
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                )
        if not params:
            del op["parameters"]
        responses: dict[str, Any] = op.setdefault("responses", {})
        responses.pop("422", None)
        if params or "requestBody" in op:
            _add(responses, 400, "Invalid request (invalid_request: `fields` says which)")
        if "requestBody" in op:
            _add(responses, 413, "The body is over its size limit")
        if _PARAM.search(path):
            _add(responses, 404, "Not found")
        if (path, method) in authenticated:
            _add(responses, 401, "Missing or invalid bearer token")
            op["security"] = [{"bearer": []}]
        for status, response in responses.items():
            content = response.get("content", {})
            if len(content) > 1 and content.get("application/json", {}).get("schema") == {}:
                del content["application/json"]  # FastAPI's default next to declared bytes
            if status.isdigit() and int(status) >= 400 and not response.get("content"):
                responses[status] = _error_response(int(status), response["description"])
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas.update(error_schemas())
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    schema["x-error-codes"] = [
        {"code": e.code, "status": e.status, "description": e.description}
        for e in error_codes.CATALOGUE.values()
    ]
    info = schema.setdefault("info", {})
    info["description"] = (
        info.get("description", "")
        + '\n\nEvery error is JSON `{"error": message, "code": code}`; the status follows'
        + f" from the code. The {len(error_codes.CATALOGUE)} codes and their meanings:"
        + f" [{ERRORS_PAGE}]({ERRORS_PAGE}) (also `x-error-codes` in this document)."
    )
    return schema


ERRORS_PAGE = "/docs/errors"
"""The error catalogue's own page: the API docs open with the endpoints (issue 24)."""


def install(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json`` (built once, on first request)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            with warnings.catch_warnings():
                # A GET+HEAD route has one id for both methods; _operation_ids splits it.
                warnings.filterwarnings("ignore", "Duplicate Operation ID", UserWarning)
                raw = build()
            app.openapi_schema = complete(
                raw, _needing(app, current_user), _needing(app, require_tus_version)
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
