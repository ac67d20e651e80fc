"""The one way the product writes CSV and XLSX files: no cell is ever a formula (R33).

Spreadsheet apps run a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
return as a formula (CSV injection: a student named `=HYPERLINK(...)`). Free text keeps
whatever printable text people type; it is these writers' job to make it safe:
- CSV: such a text cell gets a leading single quote, which the apps show as text.
- XLSX: such a cell is stored as a string with Excel's "quote prefix", never a formula.
Every export builds its rows or its openpyxl workbook, then calls `csv_bytes` or
`workbook_bytes` here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """Return whether a spreadsheet app would evaluate this text."""
    return isinstance(value, str) and value.startswith(FORMULA_LEADS)


def safe_text(value: Any) -> Any:
    """Return the value with formula-like text prefixed by a quote (CSV cells)."""
    return "'" + value if is_formula_like(value) else value


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """Return UTF-8 CSV with a BOM (Excel on Windows reads it as UTF-8, not GBK)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_text(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def neutralise_workbook(workbook: Any) -> None:
    """Turn every formula-like cell of an openpyxl workbook into plain text, in place."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or is_formula_like(cell.value):
                    cell.data_type = "s"  # openpyxl stores "=…" as a formula otherwise
                    cell.quotePrefix = True  # and Excel keeps it text when edited


def workbook_bytes(workbook: Any) -> bytes:
    """Return the XLSX bytes of an openpyxl workbook, with no cell a formula."""
    neutralise_workbook(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
