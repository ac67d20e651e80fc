"""Render an enterprise's monthly report (R23) as an A4 PDF in Chinese."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from volunteer.clock import to_local
from volunteer.reports.documents import (
    EnterpriseReport,
    ReportRow,
    flags_text,
    hours_text,
    month_text,
    status_label,
)
from volunteer.reports.pdf_style import (
    ACCENT,
    FONT,
    HEADER_FILL,
    INK,
    LATIN_FONT,
    MUTED,
    RULE,
    TOTAL_FILL,
    markup,
    numbered_canvas,
    paragraph_styles,
)

_MARGIN = 15 * mm
# The frame keeps 6 pt of padding on each side; tables sized to it line up with the text.
_WIDTH = A4[0] - 2 * _MARGIN - 12
_COLUMNS = (
    ("姓名", 17),
    ("学校", 26),
    ("协议", 36),
    ("服务<br/>次数", 11),
    ("已确认<br/>小时", 16),
    ("待确认<br/>小时", 16),
    ("应服务<br/>小时", 16),
    ("状态", 18),
    ("标记", 24),
)
_STATUS_COLOURS = {"met": "#1a7f37", "at_risk": "#b54708", "missed": "#b42318"}
_STYLES = paragraph_styles()
_ZEBRA = colors.HexColor("#fafbfc")
_ACCENT_HEX = "#" + ACCENT.hexval()[2:]


def _scaled(widths: tuple[float, ...] | list[float]) -> list[float]:
    """Return column widths stretched or shrunk to fill the frame exactly."""
    total = sum(widths)
    return [_WIDTH * width / total for width in widths]


def _p(text: str, style: str = "cell") -> Paragraph:
    return Paragraph(markup(text), _STYLES[style])


def _pm(marked_up: str, style: str = "cell") -> Paragraph:
    return Paragraph(marked_up, _STYLES[style])


def _local_time(value: datetime) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M")


def _title(report: EnterpriseReport) -> str:
    return f"{month_text(report.month)}服务时长月报"


def _meta_table(report: EnterpriseReport) -> Table:
    pairs = [
        ("企业名称", report.enterprise_name, "统一社会信用代码", report.credit_code),
        ("所属工会", report.union_name, "报告月份", month_text(report.month)),
        ("学生人数", f"{len(report.rows)} 人", "生成时间", _local_time(report.generated_at)),
    ]
    data = [
        [_p(f"{a}：", "meta"), _p(b, "meta"), _p(f"{c}：", "meta"), _p(d, "meta")]
        for a, b, c, d in pairs
    ]
    table = Table(data, colWidths=_scaled((20, 68, 36, 56)))
    table.setStyle(
        TableStyle(
            [
                ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


# Columns of plain-string cells: they never wrap, so a Paragraph (the bulk of the layout
# time of a long roster) buys nothing. Numbers are set in LATIN_FONT, as markup() would.
_NUMBER_COLUMNS = (3, 6)
_STATUS_COLUMN = 7
_WIDTHS = _scaled([width for _, width in _COLUMNS])
_CELL_PADDING = 6  # the Table's default left and right padding
_LATIN = re.compile(r"[\x21-\x7e]")


def _fitting(text: str, column: int) -> Any:
    """Return the text itself when it fits its column on one line in FONT, else a Paragraph."""
    # Latin runs are set in LATIN_FONT by markup(): those cells stay Paragraphs.
    room = _WIDTHS[column] - 2 * _CELL_PADDING
    if not _LATIN.search(text) and stringWidth(text, FONT, 8.5) <= room:
        return text
    return _p(text)


def _row_cells(row: ReportRow) -> list[Any]:
    return [
        _fitting(row.student_name, 0),
        _fitting(row.university, 1),
        _p(row.agreement_label),
        str(row.sessions),
        hours_text(row.confirmed_minutes),
        hours_text(row.pending_minutes),
        hours_text(row.required_minutes),
        status_label(row.status),
        # Several flags may wrap; most rows have none.
        _p(flags_text(row.flags)) if row.flags else "",
    ]


def _body_commands(report: EnterpriseReport) -> list[tuple]:
    """Return the style of the plain-string cells: fonts, alignment, status colours."""
    first, last = _NUMBER_COLUMNS
    commands: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), FONT, 8.5, 11),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("FONT", (first, 1), (last, -1), LATIN_FONT, 8.5, 11),
        ("ALIGN", (first, 1), (last, -1), "RIGHT"),
        ("ALIGN", (_STATUS_COLUMN, 1), (_STATUS_COLUMN, -1), "CENTER"),
    ]
    for number, row in enumerate(report.rows, start=1):
        if row.status in _STATUS_COLOURS:
            colour = colors.HexColor(_STATUS_COLOURS[row.status])
            commands.append(
                ("TEXTCOLOR", (_STATUS_COLUMN, number), (_STATUS_COLUMN, number), colour)
            )
    return commands


def _rows_table(report: EnterpriseReport) -> Table:
    data: list[list[Any]] = [[_pm(head, "cell_head") for head, _ in _COLUMNS]]
    data += [_row_cells(row) for row in report.rows]
    if not report.rows:
        data.append([_p("本月没有学生记录。", "cell_head")] + [""] * (len(_COLUMNS) - 1))
    data.append(
        [_p("合计", "cell_head"), _p(f"{len(report.rows)} 人"), ""]
        + [
            str(report.total_sessions),
            hours_text(report.total_confirmed_minutes),
            hours_text(report.total_pending_minutes),
            hours_text(report.total_required_minutes),
            "",
            "",
        ]
    )
    commands = [
        *_body_commands(report),
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("BACKGROUND", (0, -1), (-1, -1), TOTAL_FILL),
        ("LINEABOVE", (0, -1), (-1, -1), 1, INK),
        ("ROWBACKGROUNDS", (0, 1), (-1, -2), (colors.white, _ZEBRA)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if not report.rows:
        commands.append(("SPAN", (0, 1), (-1, 1)))
    else:
        # Never leave the totals alone on a page under a repeated header.
        commands.append(("NOSPLIT", (0, -2), (-1, -1)))
    widths = _WIDTHS
    # repeatRows keeps the header on every page a long roster runs onto.
    return Table(data, colWidths=widths, repeatRows=1, style=TableStyle(commands))


def _attested_box(attested_by: str, attested_at: datetime) -> Table:
    box = Table(
        [
            [_p("本企业已核对上述名单与服务时长，确认无误。", "meta"), ""],
            [
                _p(f"确认人：{attested_by}", "meta"),
                _p(f"确认时间：{_local_time(attested_at)}", "meta"),
            ],
        ],
        colWidths=_scaled((1, 1)),
    )
    box.setStyle(
        TableStyle(
            [
                ("SPAN", (0, 0), (-1, 0)),
                ("BOX", (0, 0), (-1, -1), 0.8, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return box


def _signature_lines() -> Table:
    labels = ("企业负责人（签字）：", "单位（盖章）：", "日期：")
    cells: list[Any] = []
    for label in labels:
        cells += [_p(label, "meta"), ""]
    lines = Table([cells], colWidths=_scaled((38, 34, 27, 30, 13, 30)), rowHeights=(14 * mm,))
    # The blank cells (1, 3, 5) get a rule to sign on.
    rules = [("LINEBELOW", (column, 0), (column, 0), 0.6, INK) for column in (1, 3, 5)]
    lines.setStyle(
        TableStyle(
            [("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("LEFTPADDING", (0, 0), (-1, -1), 0), *rules]
        )
    )
    return lines


def _attestation(report: EnterpriseReport) -> KeepTogether:
    heading = _p("签字确认", "body")
    if report.stale_since is not None:
        line = report.attestation_line(_local_time)
        note = _pm(f'<font color="{_ACCENT_HEX}">{escape(line)}</font>', "small")
        return KeepTogether([heading, note, _signature_lines()])
    if report.attested_at is not None:
        box = _attested_box(report.attested_by or "", report.attested_at)
        return KeepTogether([heading, Spacer(1, 2 * mm), box])
    note = _pm(f'<font color="{_ACCENT_HEX}">本月名单尚未在平台签字确认。</font>', "small")
    return KeepTogether([heading, note, _signature_lines()])


def enterprise_report_pdf(report: EnterpriseReport) -> bytes:
    """Return the enterprise's monthly report as an A4 PDF with page numbers."""
    buffer = io.BytesIO()
    title = _title(report)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=18 * mm,
        title=f"{report.enterprise_name} · {title}",
        author=report.union_name,
        subject="服务时长月报",
    )
    story = [
        _p(title, "title"),
        _p(report.enterprise_name, "subtitle"),
        Spacer(1, 5 * mm),
        _meta_table(report),
        Spacer(1, 3 * mm),
    ]
    if report.rows:
        story += [_p(f"状态分布：{report.status_summary()}", "meta"), Spacer(1, 3 * mm)]
    story += [
        _rows_table(report),
        Spacer(1, 1.5 * mm),
        _p("单位：小时；已确认为企业已确认的服务时长，待确认为尚待企业确认的时长。", "small"),
        Spacer(1, 8 * mm),
        _attestation(report),
    ]
    doc.build(story, canvasmaker=numbered_canvas(f"{report.enterprise_name}　{title}"))
    return buffer.getvalue()
