"""Enterprise report PDF: plain-string cells where nothing wraps, Paragraphs where it may."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from reportlab.platypus import Paragraph

from volunteer.reports.documents import EnterpriseReport, ReportRow
from volunteer.reports.report_pdf import _rows_table, enterprise_report_pdf


def _report(rows: list[ReportRow]) -> EnterpriseReport:
    when = datetime(2026, 11, 27, 9, tzinfo=UTC)
    return EnterpriseReport(
        "西安星火集团", "91610000MA6X000000", "西安市总工会", "2026-11", rows, when
    )


ROWS = [
    ReportRow(
        "王小明", "西安交通大学", "志愿服务协议 2026-09-01 至 2027-06-30", 4, 1500, 90, 1440, "met"
    ),
    ReportRow(
        "Ali·买买提",
        "长安大学计算机科学与技术学院软件工程专业",
        "实习协议",
        0,
        0,
        0,
        1440,
        "missed",
        ["poster", "manual"],
    ),
]


def test_numbers_and_statuses_are_plain_strings():
    cells = _rows_table(_report(ROWS))._cellvalues
    first, second = cells[1], cells[2]
    assert first[3:8] == ["4", "25.0", "1.5", "24.0", "已达标"]
    assert second[3:8] == ["0", "0.0", "0.0", "24.0", "未达标"]
    assert first[0] == "王小明" and first[1] == "西安交通大学"  # fit on one line
    assert first[8] == ""  # no flags
    totals = cells[-1]
    assert totals[3:7] == ["4", "25.0", "1.5", "48.0"]


def test_cells_that_may_wrap_stay_paragraphs():
    second = _rows_table(_report(ROWS))._cellvalues[2]
    assert isinstance(second[0], Paragraph)  # Latin run: set in the Latin font
    assert isinstance(second[1], Paragraph)  # too long for one line
    assert isinstance(second[2], Paragraph)  # agreements always wrap
    assert isinstance(second[8], Paragraph)  # flags


def test_status_colours_and_fonts_are_table_styles():
    table = _rows_table(_report(ROWS))
    assert table._cellStyles[1][7].alignment == "CENTER"
    assert table._cellStyles[1][4].alignment == "RIGHT"
    assert table._cellStyles[1][4].fontname == "Helvetica"
    assert table._cellStyles[1][7].fontname == "STSong-Light"
    assert table._cellStyles[1][7].color.hexval() == "0x1a7f37"  # met
    assert table._cellStyles[2][7].color.hexval() == "0xb42318"  # missed


def test_pdf_text_keeps_the_chinese_cells():
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed")
    data = enterprise_report_pdf(_report(ROWS))
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    for word in ("王小明", "已达标", "未达标", "25.0", "48.0", "海报码"):
        assert word in text
