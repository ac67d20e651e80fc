"""The R40 workbook: the national system's Chinese headers, then one text-safe line per row."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spreadsheets import workbook_bytes
from . import rules

if TYPE_CHECKING:
    from .exports import ExportRow


def _text_cell(ws, row: int, column: int, value: object) -> None:
    # Text cells stay text in Excel too (an ID number is not a number to round).
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        cell.number_format = "@"


def render_sheet(union_name: str, rows: list[ExportRow], id_numbers: list[str]) -> bytes:
    """Return the R40 workbook: the Chinese headers, then one line per row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    ws.title = "志愿服务记录"
    for column, header in enumerate(rules.EXPORT_HEADERS, start=1):
        _text_cell(ws, 1, column, header)
        ws.cell(row=1, column=column).font = Font(bold=True)
    for line, (row, id_number) in enumerate(zip(rows, id_numbers, strict=True), start=2):
        values = (
            row.student_name,
            rules.ID_TYPE,
            id_number,
            row.volunteer_number or "",
            row.service_content,
            row.first_day.isoformat(),
            row.last_day.isoformat(),
            None,
            row.enterprise_name,
            union_name,
            rules.ROW_STATUS_WORDS[row.status],
        )
        for column, value in enumerate(values, start=1):
            _text_cell(ws, line, column, value)
        hours = ws.cell(row=line, column=8, value=row.hours)
        hours.number_format = "0.0"
    for letter, width in zip(
        "ABCDEFGHIJK", (10, 12, 22, 18, 30, 12, 12, 10, 28, 20, 8), strict=True
    ):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    return workbook_bytes(book)  # the one writer: no cell is ever a formula (R33)
