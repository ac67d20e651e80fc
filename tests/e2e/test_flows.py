"""The real flows across roles: union staff register a student and an agreement, the
enterprise's kiosk shows the code, the student checks in and out on a phone, the
enterprise confirms, everyone sees the result; refusals, languages, kiosk refresh."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, ROOT, TABLET, login
from tests.e2e.steps import (
    activate_kiosk,
    bad_id_number,
    create_kiosk_link,
    hold_time,
    id_number,
    log_in_at,
    read_code,
    shown_qr_path,
    student_xlsx,
    upload,
)

SATURDAY = "2026-11-28"  # a rest day: volunteering is allowed
STUDENT = {
    "name": "林知远",
    "username": "e2e_linzy",
    "password": "Start-Pass-2026",
    "new_password": "Lin-Own-Pass-2026",
    "id_body": "61011320051020357",
}
ENTERPRISE = "西安秦云信息技术有限公司"  # demo `ent_demo1`: its site has no coordinates
ENTERPRISE_LOGIN = "ent_demo1"
CATALOG = ROOT / "volunteer" / "translations" / "en" / "LC_MESSAGES" / "messages.mo"


def english(msgid: str) -> str | None:
    """The compiled English catalog's translation of a Chinese text, if it has one yet."""
    if not CATALOG.exists():
        return None
    import gettext

    with CATALOG.open("rb") as fh:
        text = gettext.GNUTranslations(fh).gettext(msgid)
    return text if text != msgid else None


@pytest.fixture(autouse=True)
def real_clock_after(server):
    yield
    server.set_clock(None)


def _import_row(id_value: str) -> list[str]:
    return [
        STUDENT["name"],
        id_value,
        "13709181234",
        "西北大学",
        "计算机科学与技术",
        "西安",
        "XA",
        STUDENT["username"],
        STUDENT["password"],
    ]


def _register_student(page: Page, shot) -> None:
    """Union staff import a one-row list: a bad ID number first, then the fixed file."""
    page.goto("/students/import")
    expect(page.locator("h1")).to_have_text("批量导入学生")
    upload(page, "名单-有误.xlsx", student_xlsx(_import_row(bad_id_number(STUDENT["id_body"]))))
    errors = page.locator(".import-errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("未导入任何学生")
    bad_row = errors.locator("tbody tr").first
    expect(bad_row.locator(".err-row")).to_have_text("第 3 行")  # title line, header, row
    expect(bad_row.locator(".err-col")).to_have_text("身份证号")
    shot(page, "import-bad-id")
    upload(page, "名单.xlsx", student_xlsx(_import_row(id_number(STUDENT["id_body"]))))
    expect(page.locator(".flash-success")).to_contain_text("导入成功：共登记 1 名学生")
    expect(page.locator(".import-errors")).to_have_count(0)
    shot(page, "import-ok")


def _create_agreement(page: Page, shot) -> None:
    """Union staff pick the student, take the suggested enterprise, record a paper
    agreement signed today, starting today."""
    page.goto("/agreements/new")
    page.fill("input[name=q]", STUDENT["name"])
    page.click("form.search-form button[type=submit]")
    row = page.locator(".list-row", has_text=STUDENT["name"])
    expect(row).to_have_count(1)
    row.locator("text=选择").click()
    expect(page.locator("h1")).to_contain_text(STUDENT["name"])
    card = page.locator(".match-card", has_text=ENTERPRISE)
    expect(card.locator(".reasons li").first).to_be_visible()  # why it is suggested
    shot(page, "agreement-suggestions")
    card.locator("text=选这家").click()
    form = page.locator("#agreement-form form")
    expect(form.locator("select[name=enterprise_id] option:checked")).to_contain_text(ENTERPRISE)
    expect(form.locator("input[name=starts_on]")).to_have_value(SATURDAY)
    form.locator("input[name=signed_on]").fill(SATURDAY)
    shot(page, "agreement-form")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("已创建协议")
    expect(page.locator("main")).to_contain_text("生效中")
    shot(page, "agreement-created")


def _scan(phone: Page, url: str, button: str) -> None:
    """Open a code's URL on the phone and tap its one button."""
    phone.goto(url)
    tap = phone.locator("#scan-form button[type=submit]")
    expect(tap).to_have_text(button)
    tap.tap()
    phone.wait_for_url(re.compile(r"/checkin/sessions/\d+/done"))


def test_register_check_in_out_confirm_and_report(server, new_context, shot):
    server.set_clock(f"{SATURDAY} 09:00")

    # 1. Union staff register the student and the agreement.
    union = new_context(DESKTOP).new_page()
    log_in_at(union, "/students/import", "xa_staff")
    _register_student(union, shot)
    _create_agreement(union, shot)

    # 2. The enterprise creates a kiosk; the tablet activates it and shows the code.
    enterprise = new_context(DESKTOP).new_page()
    log_in_at(enterprise, "/checkin/enterprise/sites", ENTERPRISE_LOGIN)
    link = create_kiosk_link(enterprise, "前台平板")
    shot(enterprise, "enterprise-kiosk-link")
    tablet_context = new_context(TABLET)
    tablet_context.clock.install()  # the kiosk's timers run on a clock the test moves
    kiosk = tablet_context.new_page()
    activate_kiosk(kiosk, link)
    hold_time(kiosk)
    expect(kiosk.locator(".kiosk-enterprise")).to_have_text(ENTERPRISE)
    kiosk.evaluate("() => { window.e2eMarker = 'first load'; }")
    code = read_code(kiosk)
    shot(kiosk, "kiosk")

    # 3. The student opens the code's URL: login, first password change, back, 签到.
    phone = new_context(PHONE).new_page()
    phone.goto(code["url"])
    phone.wait_for_url(re.compile(r"/login\?next="))
    shot(phone, "student-login")
    login(phone, STUDENT["username"], STUDENT["password"])
    phone.wait_for_url(re.compile(r"/account/password\?next="))
    expect(phone.locator(".notice")).to_contain_text("初始密码")
    shot(phone, "student-first-password")
    phone.fill("input[name=old_password]", STUDENT["password"])
    phone.fill("input[name=new_password]", STUDENT["new_password"])
    phone.fill("input[name=confirm]", STUDENT["new_password"])
    phone.click("main button[type=submit]")
    phone.wait_for_url(re.compile(re.escape("/s/" + code["token"]) + "$"))
    expect(phone.locator(".scan-enterprise")).to_have_text(ENTERPRISE)
    shot(phone, "student-scan-check-in")
    tap = phone.locator("#scan-form button[type=submit]")
    expect(tap).to_have_text("签到")
    tap.tap()
    phone.wait_for_url(re.compile(r"/checkin/sessions/\d+/done"))
    expect(phone.locator("h1")).to_have_text("签到成功")
    shot(phone, "student-checked-in")

    # Two hours later the kiosk has drawn a new code by itself (no reload).
    drawn = shown_qr_path(kiosk)
    server.set_clock(f"{SATURDAY} 11:00")
    kiosk.clock.fast_forward("00:31")
    expect(kiosk.locator("#kiosk-qr svg path").first).not_to_have_attribute(
        "d", drawn, timeout=15_000
    )
    expect(kiosk.locator("#kiosk-count")).to_have_text(re.compile(r"[1-9]\d*"))
    assert kiosk.evaluate("() => window.e2eMarker") == "first load"
    later = read_code(kiosk)
    assert later["token"] != code["token"]
    kiosk.clock.run_for(1000)  # one tick of the kiosk's clock, now set by the server
    expect(kiosk.locator("#kiosk-clock")).to_have_text(re.compile(r"^11:00:0[0-2]$"))
    shot(kiosk, "kiosk-two-hours-later")

    # The student taps 签退 and sees the minutes.
    _scan(phone, later["url"], "签退")
    expect(phone.locator("h1")).to_have_text("签退成功")
    expect(phone.locator(".served")).to_contain_text("2 小时 0 分")
    expect(phone.locator("main")).to_contain_text("待确认")
    shot(phone, "student-checked-out")

    # The enterprise confirms the session.
    enterprise.goto("/checkin/enterprise/sessions")
    row = enterprise.locator(".sessions-table tbody tr", has_text=STUDENT["name"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2 小时 0 分")
    shot(enterprise, "enterprise-sessions")
    row.locator("button", has_text="确认").click()
    expect(enterprise.locator(".flash-success")).to_contain_text("已确认")
    enterprise.goto("/checkin/enterprise/sessions?status=confirmed")
    confirmed = enterprise.locator(".sessions-table tbody tr", has_text=STUDENT["name"])
    expect(confirmed).to_contain_text("已确认")
    shot(enterprise, "enterprise-confirmed")

    # The student sees the month's progress: 2 confirmed hours.
    phone.locator(".mainnav a", has_text="本月进度").tap()
    phone.wait_for_url("**/me/progress")
    expect(phone.locator("h1")).to_have_text("本月进度")
    expect(phone.locator(".big-figure strong")).to_have_text("2.0")
    expect(phone.locator("main .kv")).to_contain_text(ENTERPRISE)
    badge = phone.locator(".progress-head .badge")
    status_class = next(c for c in badge.get_attribute("class").split() if c.startswith("badge-"))
    status_word = badge.inner_text().strip()
    shot(phone, "student-progress")

    # The union dashboard counts the student under that status and lists them there.
    union.goto("/compliance")
    expect(union.locator("h1")).to_contain_text("合规看板")
    shot(union, "union-dashboard")
    stat = union.locator(f".stats a.stat-{status_class.removeprefix('badge-')}")
    expect(stat.locator(".label")).to_have_text(status_word)
    assert int(stat.locator(".value").inner_text()) >= 1
    stat.click()
    listed = union.locator("tr", has_text=STUDENT["name"])
    expect(listed).to_have_count(1)
    expect(listed.locator(".badge")).to_have_text(status_word)
    expect(listed).to_contain_text("2.0")
    shot(union, "union-student-list")

    # The enterprise downloads its monthly report.
    enterprise.locator(".mainnav a", has_text="月报").click()
    enterprise.wait_for_url("**/reports/enterprise")
    expect(enterprise.locator(".report-table")).to_contain_text(STUDENT["name"])
    shot(enterprise, "enterprise-report")
    with enterprise.expect_download() as info:
        enterprise.locator(".downloads a", has_text="Excel").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    cells = [str(v) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r]
    assert STUDENT["name"] in cells


def test_refused_scans_in_chinese_and_the_language_switch(server, new_context, shot):
    server.set_clock(f"{SATURDAY} 09:00")
    enterprise = new_context(DESKTOP).new_page()
    log_in_at(enterprise, "/checkin/enterprise/sites", ENTERPRISE_LOGIN)
    enterprise.locator("text=显示动态码").first.click()
    expect(enterprise.locator("#kiosk-qr svg")).to_be_visible()
    old = read_code(enterprise)

    # A code two minutes old is refused before any login, with its Chinese message.
    server.set_clock(f"{SATURDAY} 09:02")
    phone = new_context(PHONE).new_page()
    phone.goto(old["url"])
    refusal = phone.locator(".scan-refusal")
    expect(refusal).to_contain_text("二维码已过期")
    expect(refusal).to_have_attribute("data-code", "token_expired")
    expect(phone.locator(".scan-enterprise")).to_have_text(ENTERPRISE)
    expect(phone.locator("main")).to_contain_text("请用手机相机重新扫描")
    shot(phone, "refused-expired")

    # The language switch: English, then back to Chinese, on the same page.
    phone.locator("a.lang", has_text="English").tap()
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "en"
    expect(phone.locator("a.lang")).to_have_text("中文")
    expect(phone.locator(".scan-refusal")).to_have_attribute("data-code", "token_expired")
    title = english("未能完成")
    if title:  # the English catalog is being filled in; each translated text must show
        expect(phone.locator(".scan-refusal-title")).to_have_text(title)
    message = english("二维码已过期：请重新扫描服务点现场的最新二维码。")
    if message:
        expect(phone.locator(".scan-refusal")).to_contain_text(message)
    shot(phone, "refused-expired-en")
    phone.locator("a.lang", has_text="中文").tap()
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    expect(phone.locator(".scan-refusal")).to_contain_text("二维码已过期")

    # A student with no agreement with this enterprise is told so before tapping: the
    # page offers no 签到 button that must fail.
    enterprise.reload()
    fresh = read_code(enterprise)
    phone.goto(fresh["url"])
    login(phone, "stu_demo2")
    refusal = phone.locator(".scan-refusal")
    expect(refusal).to_contain_text("现在不能签到")
    expect(refusal).to_contain_text("没有今天生效的服务协议")
    expect(refusal).to_have_attribute("data-code", "no_active_agreement")
    expect(phone.locator("#scan-form")).to_have_count(0)
    expect(phone.locator("a", has_text="查看我的服务")).to_be_visible()
    shot(phone, "refused-no-agreement")


def test_kiosk_refreshes_its_code_without_a_reload(server, new_context, shot):
    server.set_clock(f"{SATURDAY} 14:00")
    enterprise = new_context(DESKTOP).new_page()
    log_in_at(enterprise, "/checkin/enterprise/sites", ENTERPRISE_LOGIN)
    link = create_kiosk_link(enterprise, "大厅平板")
    tablet = new_context(TABLET)
    tablet.clock.install()
    kiosk = tablet.new_page()
    activate_kiosk(kiosk, link)
    hold_time(kiosk)
    kiosk.evaluate("() => { window.e2eMarker = 'still here'; }")
    first = read_code(kiosk)
    first_path = shown_qr_path(kiosk)
    navigations = kiosk.evaluate("() => performance.getEntriesByType('navigation').length")
    shot(kiosk, "kiosk-before")

    server.set_clock(f"{SATURDAY} 14:00:35")
    kiosk.clock.fast_forward("00:31")
    expect(kiosk.locator("#kiosk-qr svg path").first).not_to_have_attribute(
        "d", first_path, timeout=15_000
    )
    second = read_code(kiosk)
    assert second["token"] != first["token"]
    assert second["step"] == first["step"] + 1
    assert kiosk.evaluate("() => window.e2eMarker") == "still here"
    assert kiosk.evaluate("() => performance.getEntriesByType('navigation').length") == navigations
    assert kiosk.url.endswith("/kiosk")
    kiosk.clock.run_for(1000)
    expect(kiosk.locator("#kiosk-clock")).to_have_text(re.compile(r"^14:00:3[5-7]$"))
    expect(kiosk.locator("#kiosk-status")).to_have_text("")
    shot(kiosk, "kiosk-after")
