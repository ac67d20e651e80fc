"""The job page: a progress bar that polls, then the result (R36)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

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
