"""Build the OpenAPI 3 document from the routes under /api/v1 and their marks."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from .openapi_bodies import BODIES, MODELS

CONVERTER_RE = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object"},
                "rows": {"type": "array"},
            },
        }
    },
}
STANDARD = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Forbidden for this role",
    404: "Not found or outside scope",
    409: "Refused by a rule or the current state",
    413: "Body too large",
    429: "Too many attempts",
}


def _path_and_params(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []

    def repl(match: re.Match) -> str:
        conv = match.group("conv")
        schema: dict[str, Any] = {"type": "integer"} if conv == "int" else {"type": "string"}
        params.append(
            {"name": match.group("name"), "in": "path", "required": True, "schema": schema}
        )
        return "{" + match.group("name") + "}"

    return CONVERTER_RE.sub(repl, rule), params


def undocumented_routes(app: Flask) -> list[str]:
    """List API routes that carry no documentation mark."""
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and rule.endpoint != "static":
            view = app.view_functions[rule.endpoint]
            if not hasattr(view, "_api_doc"):
                missing.append(rule.rule)
    return missing


def _operation(
    doc: dict[str, Any], params: list[dict], defs: dict, bodies: dict[int, Any] | None = None
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": doc["summary"], "parameters": list(params)}
    for name, description in doc["query"].items():
        op["parameters"].append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": description,
            }
        )
    body = doc["body"]
    if body is not None:
        schema = body.model_json_schema(ref_template="#/components/schemas/{model}")
        defs.update(schema.pop("$defs", {}))
        defs[body.__name__] = schema
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{body.__name__}"}}
            },
        }
    if doc["multipart"]:
        op["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    responses: dict[str, Any] = {}
    for status, text in {200: "OK", **doc["responses"]}.items():
        responses[str(status)] = {"description": text}
    for status, schema in (bodies or {}).items():
        text = responses.get(str(status), {}).get("description", "OK")
        responses[str(status)] = {
            "description": text,
            "content": {"application/json": {"schema": schema}},
        }
    for status, text in STANDARD.items():
        if doc["public"] and status in (401, 403):
            continue
        responses.setdefault(
            str(status),
            {
                "description": text,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        )
    op["responses"] = responses
    if doc["public"]:
        op["security"] = []
    return op


def build_document(app: Flask) -> dict[str, Any]:
    """Return the OpenAPI 3 document for every documented route under /api/v1."""
    paths: dict[str, dict[str, Any]] = {}
    defs: dict[str, Any] = {"Error": ERROR_SCHEMA, **MODELS}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1"):
            continue
        view = app.view_functions[rule.endpoint]
        doc = getattr(view, "_api_doc", None)
        if doc is None:
            continue
        path, params = _path_and_params(rule.rule[len("/api/v1") :])
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            bodies = BODIES.get((method.lower(), path))
            paths.setdefault(path, {})[method.lower()] = _operation(doc, params, defs, bodies)
    return {
        "openapi": "3.1.0",
        "info": {"title": "金秋助学志愿服务平台 API", "version": "1.0.0"},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
