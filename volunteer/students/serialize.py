"""How a student is shown: the API's Student object and what the audit log keeps."""

from __future__ import annotations

from typing import Any

from ..auth.models import User
from .models import Student


def student_dict(student: Student, user_id: int | None, viewer: User | None = None) -> dict:
    """Serialise as the API's Student object; enterprise staff get no ID data at all."""
    masked = student.id_number_masked
    if viewer is not None and viewer.role == "enterprise_staff":
        masked = None  # SPEC §3: enterprises never see ID numbers, masked or not
    return {
        "id": student.id,
        "name": student.name,
        "id_number_masked": masked,
        "phone": student.phone,
        "university": student.university,
        "major": student.major,
        "enrollment_year": student.enrollment_year,
        "home_city": student.home_city,
        "union_code": student.union_code,
        "user_id": user_id,
        "volunteer_number": student.volunteer_number,
    }


def audit_view(student: Student) -> dict[str, Any]:
    """Return what the audit log keeps of a student (the ID number only masked)."""
    return {
        "name": student.name,
        "id_number_masked": student.id_number_masked,
        "phone": student.phone,
        "university": student.university,
        "university_city": student.university_city,
        "major": student.major,
        "enrollment_year": student.enrollment_year,
        "home_city": student.home_city,
        "union_code": student.union_code,
        "family_hardship": student.family_hardship,
        "volunteer_number": student.volunteer_number,
    }
