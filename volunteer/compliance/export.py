"""XLSX exports of the dashboard's lists (openpyxl): students by status, groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from ..spreadsheets import workbook_bytes
from ..ui.words import status_word
from .groups import GroupFigures
from .monthrows import MonthRow

if TYPE_CHECKING:
    from .pages import Dashboard

LISTS = ("students", "at_risk", "missed", "unmatched", "unions", "enterprises")


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def _titles(which: str) -> str:
    return {
        "students": _("学生月度进度"),
        "at_risk": _("有风险的学生"),
        "missed": _("未达标的学生"),
        "unmatched": _("未匹配企业的学生"),
        "unions": _("下级工会汇总"),
        "enterprises": _("爱心企业汇总"),
    }[which]


def _row_sheet(ws, rows: list[MonthRow]) -> None:
    ws.append(
        [
            _("姓名"),
            _("工会"),
            _("手机号"),
            _("月份"),
            _("应服务（小时）"),
            _("已确认（小时）"),
            _("待确认（小时）"),
            _("免除（小时）"),
            _("还需（小时）"),
            _("剩余可服务日"),
            _("状态"),
            _("已匹配企业"),
        ]
    )
    for r in rows:
        ws.append(
            [
                r.student_name,
                r.union_code,
                r.phone,
                r.month,
                _hours(r.required_minutes),
                _hours(r.confirmed_minutes),
                _hours(r.pending_minutes),
                _hours(r.exempt_minutes),
                _hours(r.needed_minutes),
                r.allowed_days_left,
                status_word(r.status),
                _("是") if r.has_agreement else _("否"),
            ]
        )


def _group_sheet(ws, groups: list[GroupFigures]) -> None:
    ws.append(
        [
            _("名称"),
            _("学生数"),
            _("应服务（小时）"),
            _("已确认（小时）"),
            _("待确认（小时）"),
            _("达标"),
            _("有风险"),
            _("未达标"),
            _("未匹配"),
            _("达标率"),
        ]
    )
    for g in groups:
        rate = g.compliance_rate
        ws.append(
            [
                g.name,
                g.students,
                _hours(g.required_minutes),
                _hours(g.confirmed_minutes),
                _hours(g.pending_minutes),
                g.met,
                g.at_risk,
                g.missed,
                g.unmatched,
                round(rate, 4) if rate is not None else None,
            ]
        )
        if rate is not None:
            ws.cell(row=ws.max_row, column=10).number_format = "0.0%"


def build(which: str, month: str, *, rows: list[MonthRow], groups: list[GroupFigures]) -> bytes:
    """Return the XLSX bytes of one list for a month."""
    wb = Workbook()
    ws = wb.active
    ws.title = month
    ws.append([f"{_titles(which)} · {month}"])
    ws["A1"].font = Font(bold=True, size=13)
    if which in ("unions", "enterprises"):
        _group_sheet(ws, groups)
    else:
        _row_sheet(ws, rows)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A3"
    for column, width in zip(
        "ABCDEFGHIJKL", (14, 10, 14, 10, 14, 14, 14, 12, 12, 12, 10, 10), strict=True
    ):
        ws.column_dimensions[column].width = width
    return workbook_bytes(wb)


def from_dashboard(which: str, board: Dashboard) -> bytes:
    """Return the XLSX of one of the dashboard's lists."""
    rows: list[MonthRow] = []
    groups: list[GroupFigures] = []
    if which == "students":
        rows = board.listed
    elif which in ("at_risk", "missed"):
        rows = board.with_status(which)
    elif which == "unmatched":
        rows = board.unmatched
    elif which == "unions":
        groups = board.union_groups
    else:
        groups = board.enterprise_groups
    return build(which, board.month, rows=rows, groups=groups)
