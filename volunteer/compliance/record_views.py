"""Officer pages about one student: the whole record on a timeline."""

from __future__ import annotations

from flask import render_template

from ..auth.scope import current_actor, role_required
from .student_record import student_timeline
from .views import bp


@bp.get("/students/<int:student_id>/record")
@role_required("union_staff")
def student_record(student_id: int):
    timeline = student_timeline(current_actor(), student_id)
    return render_template("compliance/student_record.html", timeline=timeline)
