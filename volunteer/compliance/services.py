"""Compliance use cases (R18–R21): the door the views, the API and other features use.

The work lives in rooms of its own — monthrows.py (the month rows and their bounded
queries), groups.py (per union, per enterprise, rate history), closing.py (month close
and stored figures), exemptions.py, reads.py (scope) and pages.py (what pages show) —
and is re-exported here under stable names.
"""

from __future__ import annotations

from ..calendar.services import parse_month_arg
from .closing import (
    CloseState,
    close_month,
    close_state,
    covering_closes,
    refresh_month_figures,
    refresh_stored_figures,
    reopen_month,
)
from .exemptions import (
    MAX_EXEMPT_MINUTES,
    create_exemption,
    exemption_dict,
    month_exemptions,
    revoke_exemption,
)
from .groups import (
    GroupFigures,
    enterprise_groups,
    rate_history,
    subtree_student_ids,
    summary_by_enterprise,
    summary_by_union,
    union_groups,
)
from .monthrows import (
    MonthRow,
    compute_month_rows,
    compute_rows_by_month,
    enterprise_month_students,
    summary,
)
from .pages import Dashboard, Progress, dashboard, export_list, month_detail, my_progress
from .pending import PendingEnterprise, pending_by_enterprise
from .reads import (
    SEVERITY,
    by_severity,
    exemption_in_scope,
    list_compliance,
    list_compliance_page,
    parse_status,
    resolve_student,
    scoped_student_ids,
    student_in_managed_scope,
    student_month,
    union_in_scope,
)
from .rules import STATUSES

__all__ = [
    "PendingEnterprise",
    "pending_by_enterprise",
    "MAX_EXEMPT_MINUTES",
    "SEVERITY",
    "STATUSES",
    "CloseState",
    "Dashboard",
    "GroupFigures",
    "MonthRow",
    "Progress",
    "by_severity",
    "close_month",
    "close_state",
    "compute_month_rows",
    "compute_rows_by_month",
    "covering_closes",
    "create_exemption",
    "dashboard",
    "enterprise_groups",
    "enterprise_month_students",
    "exemption_dict",
    "exemption_in_scope",
    "export_list",
    "list_compliance",
    "list_compliance_page",
    "month_detail",
    "month_exemptions",
    "my_progress",
    "parse_month_arg",
    "parse_status",
    "rate_history",
    "refresh_month_figures",
    "refresh_stored_figures",
    "reopen_month",
    "resolve_student",
    "revoke_exemption",
    "scoped_student_ids",
    "student_in_managed_scope",
    "student_month",
    "subtree_student_ids",
    "summary",
    "summary_by_enterprise",
    "summary_by_union",
    "union_groups",
    "union_in_scope",
]
