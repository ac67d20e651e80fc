"""Test data for the students feature: valid ID numbers, API bodies, upload files."""

from __future__ import annotations

import csv
import io

import openpyxl
from stdnum.cn import ric

from volunteer.students.importing import COLUMNS

STUDENT_PASSWORD = "Welcome-2026"


def good_id(seq: int, born: str = "20050315", area: str = "610113") -> str:
    """Return a valid resident ID number (stdnum computes the check digit over 18 chars)."""
    body = f"{area}{born}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def bad_check_digit(number: str) -> str:
    """Return the same number with a wrong check digit."""
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def numeral(n: int) -> str:
    """Write a number in Chinese digits: legal names have no Arabic digits (学生十二 → 学生一二)."""
    return str(n).translate(str.maketrans("0123456789", "〇一二三四五六七八九"))


def student_body(n: int = 1, **overrides):
    """Return a valid POST /students body."""
    body = {
        "name": f"学生{numeral(n)}",
        "id_number": good_id(n),
        "phone": f"139{n:08d}",
        "university": "西北大学",
        "major": "会计学",
        "enrollment_year": 2024,
        "home_city": "西安",
        "union_code": "XA",
        "username": f"new_stu{n}",
        "password": STUDENT_PASSWORD,
    }
    body.update(overrides)
    return body


def import_row(n: int = 1, **overrides) -> dict[str, str]:
    """Return one valid import row as text, by field."""
    values = {
        "name": f"导入{numeral(n)}",
        "id_number": good_id(500 + n, born="20040101", area="610104"),
        "phone": f"137{n:08d}",
        "university": "长安大学",
        "major": "交通运输",
        "enrollment_year": "2023",
        "home_city": "西安",
        "volunteer_number": f"V2026{n:04d}",
        "union_code": "XA",
        "username": f"imp{n}",
        "password": STUDENT_PASSWORD,
    }
    values.update(overrides)
    return values


def header(chinese: bool = True) -> list[str]:
    """Return the header row, in Chinese labels or English field names."""
    return [c.label if chinese else c.field for c in COLUMNS]


def csv_file(rows: list[dict[str, str]], *, chinese: bool = True, bom: bool = True) -> bytes:
    """Return a UTF-8 CSV of rows (with a BOM, as Excel writes it)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header(chinese))
    for values in rows:
        writer.writerow([values.get(c.field, "") for c in COLUMNS])
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def xlsx_file(
    rows: list[dict[str, str]], *, chinese: bool = True, title: str | None = None
) -> bytes:
    """Return an XLSX workbook of rows, optionally with a title line above the header."""
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header(chinese))
    for values in rows:
        sheet.append([values.get(c.field, "") for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
