"""JSON route for jobs: `GET /api/v1/jobs/{id}` (the owner only)."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, jsonify, send_file

from ..auth.scope import current_actor, role_required
from ..jsonapi import documented
from . import services

bp = Blueprint("jobs_api", __name__, url_prefix="/api/v1")


@bp.get("/jobs/<job_id>")
@documented("A background job of one's own: status, progress, result")
@role_required()
def get_job(job_id: str):
    return jsonify(services.get_job(current_actor(), job_id).to_dict())


@bp.get("/jobs/<job_id>/file")
@documented("The file a finished job of one's own made (an export)")
@role_required()
def get_job_file(job_id: str):
    name, data = services.job_file(current_actor(), job_id)
    mimetype = services.file_mimetype(name)
    return send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
