"""Steps the browser flows share: spreadsheets to upload, reading the kiosk's QR code,
activating a kiosk, logging in on the way to a scan page."""

from __future__ import annotations

import io
import re

import qrcode
import qrcode.constants
from playwright.sync_api import Page, expect
from stdnum.cn import ric

from tests.e2e.conftest import DEMO_PASSWORD, login

IMPORT_HEADER = [
    "姓名",
    "身份证号",
    "手机号",
    "学校",
    "专业",
    "家庭所在城市",
    "工会代码",
    "用户名",
    "初始密码",
]
_MODULE = re.compile(r"M(\d+),(\d+)H")


def id_number(body: str) -> str:
    """Return a valid resident ID number for a 17-digit body (GB 11643 check digit)."""
    return body + ric.calc_check_digit(body + "0")


def bad_id_number(body: str) -> str:
    """Return the ID number with a wrong check digit."""
    right = ric.calc_check_digit(body + "0")
    return body + ("1" if right != "1" else "2")


def student_xlsx(row: list[str]) -> bytes:
    """Return an XLSX with a title line, the header, and one student (all cells text)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2026年金秋助学受助学生名单"])
    sheet.append(IMPORT_HEADER)
    sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(page: Page, name: str, data: bytes) -> None:
    """Choose a file in the import form and submit it."""
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": name,
                "buffer": data,
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        ],
    )
    page.click("form.import-form button[type=submit]")
    page.wait_for_load_state()


# --- QR codes -------------------------------------------------------------------------


def _dark_modules(path_d: str) -> set[tuple[int, int]]:
    """The dark modules of a QR drawn as one SVG path of unit squares ("Mx,yH…z")."""
    points = {(int(x), int(y)) for x, y in _MODULE.findall(path_d)}
    assert points, "the QR code has no modules"
    left = min(x for x, _ in points)
    top = min(y for _, y in points)
    return {(x - left, y - top) for x, y in points}


def _expected_modules(url: str) -> set[tuple[int, int]]:
    """The dark modules of a QR code of `url` at error correction M, as a phone reads it."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(url)
    qr.make(fit=True)
    return {(x, y) for y, line in enumerate(qr.get_matrix()) for x, dark in enumerate(line) if dark}


def shown_qr_path(page: Page) -> str:
    """The path of the QR code the code screen shows right now."""
    return page.locator("#kiosk-qr svg path").first.get_attribute("d") or ""


def read_code(page: Page) -> dict:
    """Read the code screen's data (its poll URL answers the JSON it draws from) and check
    that the QR on screen encodes exactly that URL; return the data."""
    data = page.evaluate(
        """() => fetch(document.getElementById('kiosk').dataset.poll,
                       {cache: 'no-store', credentials: 'same-origin'}).then(r => r.json())"""
    )
    assert data["url"].endswith("/s/" + data["token"])
    assert _dark_modules(shown_qr_path(page)) == _expected_modules(data["url"]), (
        "the QR code on screen does not encode the code's URL"
    )
    return data


# --- accounts and kiosks --------------------------------------------------------------


def log_in_at(page: Page, path: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Open the login page (with a return path) and log in."""
    page.goto("/login?next=" + path)
    login(page, username, password)
    page.wait_for_url(re.compile(re.escape(path) + r"$"))


def create_kiosk_link(page: Page, label: str) -> str:
    """On the enterprise's sites page, create a kiosk for its first site; return the link."""
    page.goto("/checkin/enterprise/sites")
    page.fill("input[name=label]", label)
    page.click("text=生成激活链接")
    link = page.locator(".copy-link code").inner_text().strip()
    assert "/kiosk/activate/" in link
    return link


def activate_kiosk(page: Page, link: str) -> None:
    """Open a one-time activation link on the tablet and activate it."""
    page.goto(link)
    expect(page.locator("h1")).to_have_text("激活签到平板")
    page.click("text=在这台设备上激活")
    page.wait_for_url("**/kiosk")
    expect(page.locator("#kiosk-qr svg")).to_be_visible()


def hold_time(page: Page) -> None:
    """Stop the page's (installed) clock: its timers fire only when the test moves it."""
    # Python's clock API takes seconds (or a datetime), not milliseconds.
    page.clock.pause_at(page.evaluate("() => Date.now()") / 1000 + 1)
