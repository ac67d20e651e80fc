"""Records in a browser (R37–R39): an enterprise evaluates a student on a phone; a union
officer sets its 负责人, uploads the seal, issues a certificate and checks it is genuine by
typing its number; the certificate PDF, rendered to an image, carries the national fields."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import login
from volunteer.unions.seal_image import seal_png

NATIONAL_FIELDS = (
    "志愿服务记录证明",
    "王小明",
    "证件类型",
    "居民身份证",
    "证件号码",
    "志愿者编号",
    "服务内容",
    "服务地点",
    "记录单位",
    "出具单位",
    "负责人：刘主席",
    "经办人：李干事",
    "联系方式：029-86541234",
    "证明编号",
    "出具日期",
)


def _pdf_text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return "".join(out.stdout.decode().split())


def test_enterprise_evaluates_and_union_issues_a_sealed_certificate(server, new_context, shot):
    # --- the enterprise, on a phone: rate the first student it hosts this month
    enterprise = new_context().new_page()
    enterprise.goto("/login")
    login(enterprise, "ent_demo1")
    enterprise.locator(".mainnav a", has_text="评价").click()
    expect(enterprise.locator("h1")).to_have_text("学生评价")
    card = enterprise.locator(".eval-card", has=enterprise.locator("form")).first
    name = card.locator("h2").inner_text()
    card.locator("select").select_option("4")
    card.locator("textarea").fill("按时到岗，服务认真，沟通有礼貌。")
    shot(enterprise, "evaluation-form")
    card.locator("button[type=submit]").click()
    expect(enterprise.locator(".flash-success")).to_contain_text("已提交评价")
    rated = enterprise.locator(".eval-card", has_text=name)
    expect(rated).to_contain_text("4 分")
    expect(rated).to_contain_text("按时到岗")
    shot(enterprise, "evaluated")

    # --- the union officer, on a phone: profile, seal, certificate
    union = new_context().new_page()
    union.goto("/login")
    login(union, "xa_staff")
    union.goto("/unions/XA/profile")
    union.fill("input[name=leader_name]", "刘主席")
    union.fill("input[name=contact]", "029-86541234")
    union.locator("form", has=union.locator("input[name=leader_name]")).locator(
        "button[type=submit]"
    ).click()
    expect(union.locator(".flash-success")).to_contain_text("已保存")
    seal_file = Path(tempfile.mkdtemp()) / "seal.png"
    seal_file.write_bytes(seal_png("西安市总工会"))
    union.set_input_files("input[type=file]", str(seal_file))
    union.locator("#seal button[type=submit]").click()
    expect(union.locator(".flash-success")).to_contain_text("已上传印章")
    expect(union.locator("img.seal-preview")).to_be_visible()
    shot(union, "union-profile")

    union.goto("/reports/certificates?q=王小明")
    union.locator("a", has_text="王小明").first.click()
    union.locator("main form button[type=submit]").click()
    expect(union.locator(".flash-success")).to_contain_text("证明已出具")
    number = union.locator("table .mono").first.inner_text()
    assert number.startswith("ZY")
    shot(union, "certificate-issued")
    with union.expect_download() as info:
        union.locator("a", has_text="下载 PDF").first.click()
    pdf = Path(info.value.path()).read_bytes()
    text = _pdf_text(pdf)
    for field in (*NATIONAL_FIELDS, number):
        assert field in text, field
    assert b"/Subtype /Image" in pdf  # the seal
    shots = Path(__file__).parent / "screenshots" / "certificate"
    shots.mkdir(parents=True, exist_ok=True)
    (shots / "certificate.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", str(shots / "certificate.pdf"), str(shots / "page")],
        check=True,
    )

    # --- the union's other record pages, as a phone shows them
    union.goto("/students?q=王小明")
    union.locator("a", has_text="王小明").first.click()
    union.locator("a", has_text="志愿服务档案").click()
    expect(union.locator("h1")).to_contain_text("志愿服务档案")
    expect(union.locator("#evaluations")).to_contain_text("守时认真")  # the demo's evaluation
    shot(union, "student-record")
    union.goto("/reports")
    union.locator("a", has_text="导出与变更").click()
    expect(union.locator("h1")).to_have_text("全国志愿服务信息系统导出")
    shot(union, "national-export")

    # --- anyone: type the number on the verification page
    visitor = new_context().new_page()
    visitor.goto("/verify")
    visitor.fill("input[name=number]", number.lower())
    visitor.locator("main form button[type=submit]").click()
    expect(visitor.locator(".verdict")).to_contain_text("证明真实有效")
    expect(visitor.locator("main")).to_contain_text("王*明")
    expect(visitor.locator("main")).to_contain_text("西安市总工会")
    expect(visitor.locator("main")).not_to_contain_text("*******")  # no ID number, masked or not
    shot(visitor, "verified")
