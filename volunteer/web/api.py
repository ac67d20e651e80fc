"""The API's own description."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..jsonapi import documented
from ..openapi import build_document

bp = Blueprint("web_api", __name__, url_prefix="/api/v1")


@bp.get("/openapi.json")
@documented("This OpenAPI document", public=True)
def openapi():
    return jsonify(build_document(current_app))
