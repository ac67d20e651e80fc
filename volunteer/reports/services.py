"""Use cases of reports and certificates (R23–R25), one function each.

The work lives in small modules beside this one; this is the door the pages, the API,
the CLI and the event receivers (reactions.py) use.
"""

from __future__ import annotations

from ..periods.attestations import (
    attest_month,
    attestation_state,
    attestation_to_dict,
    unresolved_rows,
    unresolved_sessions,
)
from ..periods.locks import attestation_of
from .certificate_access import (
    certificate_to_dict,
    default_period,
    download_certificate,
    list_certificates,
    search_certificates,
    status_of,
    students_named,
    verify_certificate,
    verify_url,
)
from .certificates import (
    certificate_student,
    issue_certificate,
    refresh_status,
    supersede_affected,
)
from .enterprise_reports import (
    build_enterprise_report,
    checked_month,
    download_enterprise_report,
    report_enterprise,
    report_enterprise_choices,
    report_to_dict,
)
from .union_summaries import (
    build_union_summary,
    download_union_summary,
    summary_to_dict,
    summary_union,
)

__all__ = [
    "attest_month",
    "attestation_of",
    "attestation_state",
    "attestation_to_dict",
    "unresolved_rows",
    "unresolved_sessions",
    "build_enterprise_report",
    "build_union_summary",
    "certificate_student",
    "certificate_to_dict",
    "checked_month",
    "default_period",
    "download_certificate",
    "download_enterprise_report",
    "download_union_summary",
    "issue_certificate",
    "list_certificates",
    "refresh_status",
    "report_enterprise",
    "report_enterprise_choices",
    "report_to_dict",
    "search_certificates",
    "status_of",
    "students_named",
    "summary_to_dict",
    "summary_union",
    "supersede_affected",
    "verify_certificate",
    "verify_url",
]
