"""Report and certificate renderers (R23–R25): CSV, XLSX, PDF and the SVG chart."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import openpyxl
import pytest

from volunteer.reports.certificate_pdf import _qr_code, certificate_pdf
from volunteer.reports.documents import (
    FLAG_LABELS_EN,
    FLAG_LABELS_ZH,
    STATUS_LABELS_EN,
    STATUS_LABELS_ZH,
    CertificateDoc,
    CertificateEntry,
    EnterpriseReport,
    ReportRow,
    UnionSummary,
    UnionSummaryRow,
    flags_text,
    hours_text,
    month_text,
    percent_text,
    status_label,
)
from volunteer.reports.renderers import (
    REPORT_HEADERS,
    enterprise_report_csv,
    enterprise_report_pdf,
    enterprise_report_xlsx,
    union_summary_csv,
    union_summary_xlsx,
)
from volunteer.ui.chart import compliance_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & 工会'


def make_row(name: str = "张三", **kw) -> ReportRow:
    values = dict(
        student_name=name,
        university="西北大学",
        agreement_label="志愿服务 2026-09-01 至 2027-06-30",
        sessions=3,
        confirmed_minutes=90,
        pending_minutes=20,
        required_minutes=1440,
        status="at_risk",
        flags=["poster", "adjusted"],
    )
    values.update(kw)
    return ReportRow(**values)


def make_report(rows: list[ReportRow] | None = None, attested: bool = True) -> EnterpriseReport:
    return EnterpriseReport(
        enterprise_name="陕西秦川机械有限公司",
        credit_code="91610000MA6TG1XB2K",
        union_name="西安市总工会",
        month="2026-09",
        rows=[make_row()] if rows is None else rows,
        generated_at=datetime(2026, 10, 2, 1, 30, tzinfo=UTC),
        attested_at=datetime(2026, 10, 3, 2, 0, tzinfo=UTC) if attested else None,
        attested_by="王经理" if attested else None,
    )


def two_rows() -> list[ReportRow]:
    return [
        make_row("张三"),
        make_row(
            "李四", sessions=5, confirmed_minutes=1500, pending_minutes=0, status="met", flags=[]
        ),
    ]


def make_summary(history: list[tuple[str, float | None]] | None = None) -> UnionSummary:
    rows = [
        UnionSummaryRow(
            "enterprise", "91610000MA6TG1XB2K", "秦川机械", 8, 11520, 10080, 6, 1, 1, 6 / 7
        ),
        UnionSummaryRow("union", "U-610113", "雁塔区总工会", 120, 172800, 144000, 90, 12, 8, 0.75),
        UnionSummaryRow("union", "U-610104", "莲湖区总工会", 0, 0, 0, 0, 0, 0, None),
    ]
    if history is None:
        history = [(f"2026-{m:02d}", None if m == 3 else m / 12) for m in range(1, 13)]
    return UnionSummary(
        "西安市总工会", "U-610100", "2026-09", rows, datetime(2026, 10, 2, tzinfo=UTC), history
    )


def make_certificate(kind: str = "volunteer", status: str = "genuine") -> CertificateDoc:
    entries = [
        CertificateEntry(
            "秦川机械",
            ["总部园区", "二号厂区"],
            date(2026, 9, 3),
            date(2026, 10, 20),
            1500,
            "安全宣传",
        ),
        CertificateEntry(
            "丈八街道服务站", ["社区中心"], date(2026, 11, 1), date(2026, 12, 20), 1535, "助老服务"
        ),
    ]
    return CertificateDoc(
        code="ZY-2026-000123",
        kind=kind,
        student_name="王小明",
        id_number_masked="610***********1234",
        university="西北大学",
        from_month="2026-09",
        to_month="2026-12",
        total_minutes=3035,
        entries=entries,
        issuing_union_name="西安市总工会",
        issued_on=date(2026, 12, 31),
        contact="029-88886666",
        verify_url="https://example.cn/verify/ZY-2026-000123",
        status=status,
    )


def pdf_text(data: bytes) -> str:
    """Return the PDF's text with whitespace removed: table cells wrap and viewers drop spaces."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    done = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True, timeout=20
    )
    pages = done.stdout.decode("utf-8").split("\f")
    return "\f".join(re.sub(r"\s+", "", page) for page in pages)


# --- documents ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0.0"),
        (1, "0.02"),
        (20, "0.33"),
        (30, "0.5"),
        (60, "1.0"),
        (90, "1.5"),
        (100, "1.67"),
        (1441, "24.02"),
    ],
)
def test_hours_text_has_one_or_two_decimals(minutes, text):
    assert hours_text(minutes) == text


@pytest.mark.parametrize(
    ("minutes", "text"), [(0, "0.0"), (50, "0.8"), (3035, "50.6"), (1440, "24.0"), (3, "0.1")]
)
def test_hours_text_with_one_decimal_for_certificates(minutes, text):
    assert hours_text(minutes, 1) == text


@pytest.mark.parametrize(
    ("rate", "text"),
    [(None, ""), (0.0, "0%"), (1.0, "100%"), (0.875, "87.5%"), (2 / 3, "66.7%"), (0.5, "50%")],
)
def test_percent_text(rate, text):
    assert percent_text(rate) == text


@pytest.mark.parametrize(
    ("month", "text"), [("2026-09", "2026年9月"), ("2027-12", "2027年12月"), ("soon", "soon")]
)
def test_month_text(month, text):
    assert month_text(month) == text


def test_label_tables_cover_the_same_codes_in_both_languages():
    assert list(STATUS_LABELS_ZH) == list(STATUS_LABELS_EN)
    assert set(FLAG_LABELS_ZH) == set(FLAG_LABELS_EN)
    assert status_label("awaiting_confirmation") == "待确认"
    assert status_label("missed", "en") == "Missed"
    assert status_label("brand_new") == "brand_new"


def test_flags_text_names_each_flag_once_in_order():
    assert flags_text(["manual", "poster", "manual"]) == "手工录入、海报码"
    assert flags_text(["auto_closed"], "en") == "Auto checked out"
    assert flags_text([]) == ""


def test_report_totals_and_status_summary():
    report = make_report(two_rows())
    assert report.total_sessions == 8
    assert report.total_confirmed_minutes == 1590
    assert report.total_pending_minutes == 20
    assert report.total_required_minutes == 2880
    assert report.status_summary() == "已达标 1 人、有风险 1 人"


def test_report_refuses_naive_times():
    with pytest.raises(ValueError):
        EnterpriseReport("企业", "code", "工会", "2026-09", [], datetime(2026, 10, 1))


@pytest.mark.parametrize(("kind", "status"), [("paid", "genuine"), ("volunteer", "forged")])
def test_certificate_refuses_unknown_kind_or_status(kind, status):
    with pytest.raises(ValueError):
        make_certificate(kind=kind, status=status)


# --- CSV --------------------------------------------------------------------------


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_enterprise_csv_has_bom_headers_rows_and_totals():
    data = enterprise_report_csv(make_report(two_rows()))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = read_csv(data)
    assert rows[0] == [
        "姓名",
        "学校",
        "协议",
        "服务次数",
        "已确认小时",
        "待确认小时",
        "应服务小时",
        "状态",
        "标记",
    ]
    assert rows[1] == [
        "张三",
        "西北大学",
        "志愿服务 2026-09-01 至 2027-06-30",
        "3",
        "1.5",
        "0.33",
        "24.0",
        "有风险",
        "海报码、已调整",
    ]
    assert rows[2][7] == "已达标" and rows[2][8] == ""
    assert rows[3] == ["合计", "", "", "8", "26.5", "0.33", "48.0", "", ""]
    assert rows[4] == ["签字确认：王经理 于 2026-10-03 10:00 确认本月名单与服务时长。"]
    assert len(rows) == 5


def test_stale_attestation_is_never_shown_as_current_in_any_file():
    """R30: after a change, CSV, XLSX and PDF say 签字后已变更 and when."""
    import dataclasses

    report = dataclasses.replace(
        make_report(two_rows()), stale_since=datetime(2026, 10, 9, 6, 30, tzinfo=UTC)
    )
    assert report.attestation_status == "stale" and not report.is_attested
    line = read_csv(enterprise_report_csv(report))[-1][0]
    assert line.startswith("签字后已变更") and "2026-10-09 14:30" in line
    assert "不适用" in line
    sheet = openpyxl.load_workbook(io.BytesIO(enterprise_report_xlsx(report))).active
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert any(t.startswith("签字后已变更") and "2026-10-09 14:30" in t for t in texts)
    assert not any(t.startswith("签字确认：王经理") for t in texts)
    text = re.sub(r"\s+", "", pdf_text(enterprise_report_pdf(report)))
    assert "签字后已变更" in text and "确认人：王经理" not in text


def test_enterprise_csv_of_an_empty_month_is_header_and_zero_totals():
    rows = read_csv(enterprise_report_csv(make_report([], attested=False)))
    assert rows == [list(REPORT_HEADERS), ["合计", "", "", "0", "0.0", "0.0", "0.0", "", ""]]


def test_enterprise_csv_round_trips_awkward_text_and_defuses_formulas():
    rows = [make_row('赵"五", 六'), make_row('=HYPERLINK("http://x")'), make_row("-1+2")]
    parsed = read_csv(enterprise_report_csv(make_report(rows)))
    assert parsed[1][0] == '赵"五", 六'
    assert parsed[2][0] == '\'=HYPERLINK("http://x")'
    assert parsed[3][0] == "'-1+2"


def test_union_csv_lists_child_unions_then_enterprises():
    data = union_summary_csv(make_summary())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = read_csv(data)
    assert rows[0][0] == "类别" and rows[0][-1] == "达标率"
    assert [row[0] for row in rows[1:]] == ["下级工会", "下级工会", "企业"]
    assert rows[1] == [
        "下级工会",
        "U-610113",
        "雁塔区总工会",
        "120",
        "2880.0",
        "2400.0",
        "90",
        "12",
        "8",
        "75%",
    ]
    assert rows[2][-1] == ""  # no students with a requirement: no rate, not 0 %
    assert rows[3][-1] == "85.7%"


# --- XLSX -------------------------------------------------------------------------


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_enterprise_xlsx_title_header_freeze_and_totals():
    ws = load(enterprise_report_xlsx(make_report(two_rows()))).active
    assert ws.title == "服务时长月报"
    assert ws["A1"].value == "陕西秦川机械有限公司 · 2026年9月 服务时长月报"
    assert "91610000MA6TG1XB2K" in ws["A2"].value
    assert [cell.value for cell in ws[3]] == list(REPORT_HEADERS)
    assert ws["A3"].font.b and ws["A3"].fill.fgColor.rgb.endswith("E4EBF5")
    assert ws.freeze_panes == "A4"
    assert ws.column_dimensions["C"].width > ws.column_dimensions["D"].width
    assert ws["E4"].value == 1.5 and ws["F4"].value == 0.33 and ws["E4"].number_format == "0.0#"
    assert [cell.value for cell in ws[6]][:7] == ["合计", "2 人", None, 8, 26.5, 0.33, 48]
    assert ws["A6"].font.b


def test_enterprise_xlsx_attestation_line():
    attested = load(enterprise_report_xlsx(make_report(attested=True))).active
    lines = [row[0] for row in attested.iter_rows(min_row=5, values_only=True) if row[0]]
    assert any("王经理" in line and "2026-10-03 10:00" in line for line in lines)  # Beijing time
    pending = load(enterprise_report_xlsx(make_report(attested=False))).active
    lines = [row[0] for row in pending.iter_rows(min_row=5, values_only=True) if row[0]]
    assert any("尚未签字确认" in line for line in lines)


def test_enterprise_xlsx_keeps_formula_lookalikes_as_text():
    ws = load(enterprise_report_xlsx(make_report([make_row("=1+1")]))).active
    assert ws["A4"].value == "=1+1"
    assert ws["A4"].data_type == "s"


def test_union_xlsx_has_three_sheets_with_rates_and_history_chart():
    wb = load(union_summary_xlsx(make_summary()))
    assert wb.sheetnames == ["按下级工会", "按企业", "近12个月达标率"]
    unions = wb["按下级工会"]
    assert unions.freeze_panes == "A4"
    assert [unions.cell(row, 2).value for row in (4, 5)] == ["雁塔区总工会", "莲湖区总工会"]
    assert unions["I4"].value == 0.75 and unions["I4"].number_format == "0.0%"
    assert unions["I5"].value is None
    assert wb["按企业"]["B4"].value == "秦川机械" and wb["按企业"]["A5"].value is None
    history = wb["近12个月达标率"]
    months = [row[0] for row in history.iter_rows(min_row=4, values_only=True)]
    assert len(months) == 12 and months[0] == "2026年1月"
    assert history["B6"].value is None  # March has no data
    assert len(history._charts) == 1


# --- PDF --------------------------------------------------------------------------


def test_enterprise_pdf_contains_names_totals_and_attestation():
    rows = [make_row("张三&<李>"), make_row("学生07号", status="met")]
    data = enterprise_report_pdf(make_report(rows))
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in (
        "2026年9月服务时长月报",
        "张三&<李>",
        "学生07号",
        "合计",
        "签字确认",
        "王经理",
        "第1页/共1页",
    ):
        assert expected in text


def test_enterprise_pdf_repeats_the_header_on_every_page():
    rows = [make_row(f"学生{i:03d}") for i in range(90)]
    text = pdf_text(enterprise_report_pdf(make_report(rows, attested=False)))
    pages = text.count("\f")
    assert pages >= 3
    assert f"共{pages}页" in text
    assert text.count("姓名") == pages
    assert "学生000" in text and "学生089" in text
    assert "尚未在平台签字确认" in text and "企业负责人（签字）" in text


def test_certificate_pdf_carries_the_required_facts():
    data = certificate_pdf(make_certificate())
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in (
        "志愿服务记录证明",
        "王小明",
        "610***********1234",
        "西北大学",
        "秦川机械",
        "丈八街道服务站",
        "总部园区、二号厂区",
        "2026年9月3日",
        "50.6",
        "西安市总工会",
        "2026年12月31日",
        "029-88886666",
        "ZY-2026-000123",
        "扫码验证真伪",
        "不含往返交通时间",
    ):
        assert expected in text, expected
    assert "已作废" not in text


def test_internship_certificate_is_titled_apart():
    text = pdf_text(certificate_pdf(make_certificate(kind="internship")))
    assert "实习证明" in text and "实习单位" in text
    assert "志愿服务记录证明" not in text


def test_superseded_certificate_is_watermarked():
    text = pdf_text(certificate_pdf(make_certificate(status="superseded")))
    assert "本证明已作废" in text
    assert "已被更新" in text


def test_certificate_qr_code_points_at_the_verify_url():
    drawing = _qr_code("https://example.cn/verify/ZY-1")
    assert drawing.contents[0].value == "https://example.cn/verify/ZY-1"


# --- chart ------------------------------------------------------------------------


def points(root: ET.Element) -> list[ET.Element]:
    return [node for node in root.iter(f"{SVG}circle") if node.get("class") == "point"]


def test_chart_is_well_formed_responsive_and_accessible():
    svg = compliance_chart_svg(make_summary().history)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 640 240" and root.get("width") == "100%"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "月度达标率"
    assert "2026年3月 无数据" in root.find(f"{SVG}desc").text
    texts = [node.text for node in root.iter(f"{SVG}text")]
    for label in ("0%", "25%", "50%", "75%", "100%", "1月", "11月", "2026年"):
        assert label in texts
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_chart_has_one_point_per_month_with_data_and_breaks_the_line_at_gaps():
    history = [
        ("2026-01", 0.5),
        ("2026-02", 0.6),
        ("2026-03", None),
        ("2026-04", 0.7),
        ("2026-05", 0.8),
    ]
    root = ET.fromstring(compliance_chart_svg(history))
    assert [node.get("data-month") for node in points(root)] == [
        "2026-01",
        "2026-02",
        "2026-04",
        "2026-05",
    ]
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    assert "60%" in [node.text for node in root.iter(f"{SVG}text")]


def test_chart_puts_higher_rates_higher_and_clamps_to_the_plot():
    root = ET.fromstring(
        compliance_chart_svg([("2026-01", 0.0), ("2026-02", 1.0), ("2026-03", 1.7)])
    )
    low, high, clamped = (float(node.get("cy")) for node in points(root))
    assert high < low
    assert clamped == high


def test_chart_escapes_a_hostile_title_and_month():
    svg = compliance_chart_svg([("<b>x</b>", 0.5)], title=HOSTILE)
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == HOSTILE
    assert root.get("aria-label") == HOSTILE
    assert "<script>" not in svg and "<b>" not in svg
    assert len(points(root)) == 1


def test_chart_without_data_says_so():
    for history in ([], [("2026-01", None)]):
        root = ET.fromstring(compliance_chart_svg(history, width=360, height=200))
        assert root.get("viewBox") == "0 0 360 200"
        assert points(root) == []
        assert "暂无数据" in [node.text for node in root.iter(f"{SVG}text")]


def test_certificate_renders_markup_lookalikes_literally_and_without_entries():
    doc = make_certificate()
    hostile = CertificateDoc(**{**doc.__dict__, "student_name": "<李&四>", "entries": []})
    text = pdf_text(certificate_pdf(hostile))
    assert "<李&四>" in text
    assert "合计" in text and text.count("50.6") >= 3
