"""The job page: a progress bar that polls, then the result (R36)."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, jsonify, render_template, send_file

from ..auth.scope import current_actor, role_required
from . import services

bp = Blueprint("jobs", __name__)


@bp.get("/jobs/<job_id>")
@role_required()
def job_page(job_id: str):
    job = services.get_job(current_actor(), job_id)
    return render_template("jobs/job.html", job=job)


@bp.get("/jobs/<job_id>/status")
@role_required()
def job_status(job_id: str):
    """The page's poll: the same object as the API, through the login session."""
    return jsonify(services.get_job(current_actor(), job_id).to_dict())


@bp.get("/jobs/<job_id>/file")
@role_required()
def job_file(job_id: str):
    """The file a finished job made (an export), for its owner."""
    name, data = services.job_file(current_actor(), job_id)
    mimetype = services.file_mimetype(name)
    return send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
