"""Render enterprise reports (R23) and union summaries (R24) as CSV, XLSX and PDF bytes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from volunteer.clock import to_local
from volunteer.reports.documents import (
    EnterpriseReport,
    ReportRow,
    UnionSummary,
    UnionSummaryRow,
    flags_text,
    hours_text,
    hours_value,
    month_text,
    percent_text,
    status_label,
)
from volunteer.reports.report_pdf import enterprise_report_pdf
from volunteer.spreadsheets import csv_bytes, workbook_bytes

__all__ = [
    "enterprise_report_csv",
    "enterprise_report_pdf",
    "enterprise_report_xlsx",
    "union_summary_csv",
    "union_summary_xlsx",
]

REPORT_HEADERS = (
    "姓名",
    "学校",
    "协议",
    "服务次数",
    "已确认小时",
    "待确认小时",
    "应服务小时",
    "状态",
    "标记",
)
SUMMARY_HEADERS = (
    "编码",
    "名称",
    "学生数",
    "应服务小时",
    "已确认小时",
    "达标人数",
    "有风险人数",
    "未达标人数",
    "达标率",
)
KIND_LABELS = {"union": "下级工会", "enterprise": "企业"}
TOTAL_LABEL = "合计"

_HOURS_FORMAT = "0.0#"
_STATUS_COLOURS = {"met": "1A7F37", "at_risk": "B54708", "missed": "B42318"}
_THIN = Side(style="thin", color="9AA5B1")


def _local_time(value: datetime) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M")


def enterprise_report_csv(report: EnterpriseReport) -> bytes:
    """Return the enterprise's monthly report as UTF-8 CSV with a BOM, header row first."""
    lines: list[Sequence[Any]] = [REPORT_HEADERS]
    for row in report.rows:
        lines.append(
            (
                row.student_name,
                row.university,
                row.agreement_label,
                row.sessions,
                hours_text(row.confirmed_minutes),
                hours_text(row.pending_minutes),
                hours_text(row.required_minutes),
                status_label(row.status),
                flags_text(row.flags),
            )
        )
    lines.append(
        (
            TOTAL_LABEL,
            "",
            "",
            report.total_sessions,
            hours_text(report.total_confirmed_minutes),
            hours_text(report.total_pending_minutes),
            hours_text(report.total_required_minutes),
            "",
            "",
        )
    )
    if report.attestation_status != "none":
        # After the table, so that a reader of the rows is told what the signature covers.
        lines.append((_attestation_line(report),))
    return csv_bytes(lines)


def _summary_cells(row: UnionSummaryRow) -> list[Any]:
    return [
        row.code_or_id,
        row.name,
        row.students,
        hours_text(row.required_minutes),
        hours_text(row.confirmed_minutes),
        row.met,
        row.at_risk,
        row.missed,
        percent_text(row.compliance_rate),
    ]


def union_summary_csv(summary: UnionSummary) -> bytes:
    """Return the union summary as UTF-8 CSV with a BOM: child unions first, then enterprises."""
    lines: list[Sequence[Any]] = [("类别", *SUMMARY_HEADERS)]
    for row in summary.union_rows + summary.enterprise_rows:
        lines.append((KIND_LABELS[row.kind], *_summary_cells(row)))
    return csv_bytes(lines)


# --- XLSX -------------------------------------------------------------------------


def _put(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    return ws.cell(row=row, column=column, value=value)


def _sheet_table(
    ws: Worksheet,
    title: str,
    meta: str,
    headers: Sequence[str],
    widths: Sequence[float],
) -> int:
    """Write a title, a meta line and a styled, frozen header row; return the first data row."""
    last = get_column_letter(len(headers))
    _put(ws, 1, 1, title).font = Font(bold=True, size=14)
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 26
    _put(ws, 2, 1, meta).font = Font(size=9, color="52606D")
    ws.merge_cells(f"A2:{last}2")
    for column, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = _put(ws, 3, column, header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E4EBF5")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(bottom=_THIN)
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return 4


def _write_row(ws: Worksheet, row: int, values: Sequence[Any], formats: dict[int, str]) -> None:
    for column, value in enumerate(values, start=1):
        cell = _put(ws, row, column, value)
        if column in formats:
            cell.number_format = formats[column]


def _bold_total(ws: Worksheet, row: int, columns: int) -> None:
    for column in range(1, columns + 1):
        cell = ws.cell(row=row, column=column)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F3F5F7")
        cell.border = Border(top=_THIN)


def _hours(minutes: int) -> float:
    return float(hours_value(minutes))


def _report_row(ws: Worksheet, row: int, item: ReportRow, formats: dict[int, str]) -> None:
    values = (
        item.student_name,
        item.university,
        item.agreement_label,
        item.sessions,
        _hours(item.confirmed_minutes),
        _hours(item.pending_minutes),
        _hours(item.required_minutes),
        status_label(item.status),
        flags_text(item.flags),
    )
    _write_row(ws, row, values, formats)
    if item.status in _STATUS_COLOURS:
        ws.cell(row=row, column=8).font = Font(color=_STATUS_COLOURS[item.status])


def enterprise_report_xlsx(report: EnterpriseReport) -> bytes:
    """Return the enterprise's monthly report as an XLSX workbook."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = "服务时长月报"
    title = f"{report.enterprise_name} · {month_text(report.month)} 服务时长月报"
    meta = (
        f"统一社会信用代码：{report.credit_code}　所属工会：{report.union_name}"
        f"　生成时间：{_local_time(report.generated_at)}"
    )
    row = _sheet_table(ws, title, meta, REPORT_HEADERS, (12, 22, 34, 10, 12, 12, 12, 10, 24))
    formats = {4: "0", 5: _HOURS_FORMAT, 6: _HOURS_FORMAT, 7: _HOURS_FORMAT}
    for item in report.rows:
        _report_row(ws, row, item, formats)
        row += 1
    totals = (
        TOTAL_LABEL,
        f"{len(report.rows)} 人",
        "",
        report.total_sessions,
        _hours(report.total_confirmed_minutes),
        _hours(report.total_pending_minutes),
        _hours(report.total_required_minutes),
    )
    _write_row(ws, row, totals, formats)
    _bold_total(ws, row, len(REPORT_HEADERS))
    if report.rows:
        ws.auto_filter.ref = f"A3:{get_column_letter(len(REPORT_HEADERS))}{row - 1}"
        _put(ws, row + 2, 1, f"状态分布：{report.status_summary()}")
    _put(ws, row + 3, 1, _attestation_line(report)).font = Font(italic=not report.is_attested)
    return workbook_bytes(workbook)


def _attestation_line(report: EnterpriseReport) -> str:
    return report.attestation_line(_local_time)


def _summary_sheet(ws: Worksheet, summary: UnionSummary, kind: str) -> None:
    rows = [row for row in summary.rows if row.kind == kind]
    title = f"{summary.union_name} · {month_text(summary.month)} 达标汇总（{ws.title}）"
    meta = f"工会编码：{summary.union_code}　生成时间：{_local_time(summary.generated_at)}"
    first = _sheet_table(ws, title, meta, SUMMARY_HEADERS, (22, 30, 10, 12, 12, 10, 11, 11, 10))
    formats = {4: _HOURS_FORMAT, 5: _HOURS_FORMAT, 9: "0.0%"}
    for offset, item in enumerate(rows):
        values = _summary_cells(item)
        values[3], values[4] = _hours(item.required_minutes), _hours(item.confirmed_minutes)
        values[0], values[1], values[8] = item.code_or_id, item.name, item.compliance_rate
        _write_row(ws, first + offset, values, formats)
    if not rows:
        _put(ws, first, 1, "（无）").font = Font(color="52606D")


def _history_sheet(ws: Worksheet, summary: UnionSummary) -> None:
    title = f"{summary.union_name} · 近 {len(summary.history)} 个月达标率"
    first = _sheet_table(ws, title, f"工会编码：{summary.union_code}", ("月份", "达标率"), (14, 12))
    for offset, (month, rate) in enumerate(summary.history):
        _write_row(ws, first + offset, (month_text(month), rate), {2: "0.0%"})
    if not summary.history:
        return
    chart = BarChart()
    chart.title = "月度达标率"
    chart.legend = None
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    chart.y_axis.number_format = "0%"
    chart.x_axis.delete = chart.y_axis.delete = False  # newer Excel hides undeclared axes
    last = first + len(summary.history) - 1
    chart.add_data(Reference(ws, min_col=2, min_row=3, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.width, chart.height = 18, 8
    ws.add_chart(chart, "D3")


def union_summary_xlsx(summary: UnionSummary) -> bytes:
    """Return the union summary as XLSX: 按下级工会, 按企业 and the 12-month history."""
    workbook = Workbook()
    unions = workbook.active
    unions.title = "按下级工会"
    _summary_sheet(unions, summary, "union")
    _summary_sheet(workbook.create_sheet("按企业"), summary, "enterprise")
    _history_sheet(workbook.create_sheet("近12个月达标率"), summary)
    return workbook_bytes(workbook)
