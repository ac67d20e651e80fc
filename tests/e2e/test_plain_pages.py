"""Browser steps for what a person sees on the pages issue 19 changed: navigation that
fits a phone, the location button, the copy button, pending badges, the audit log in
words, the scan page offering only what can succeed; and screenshots at 390 and 1366 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.e2e.steps import create_kiosk_link, log_in_at

WIDE = {**DESKTOP, "viewport": {"width": 1366, "height": 900}}


def test_union_navigation_fits_a_phone(new_context, shot):
    page = new_context(PHONE).new_page()
    log_in_at(page, "/compliance", "sx_admin")
    links = page.locator("nav.mainnav a")
    assert links.count() >= 9
    for i in range(links.count()):
        link = links.nth(i)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (
            link.inner_text(),
            box,
        )
    for words in ("报表", "日历", "审计日志"):
        expect(page.locator("nav.mainnav", has_text=words)).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shot(page, "union-nav-390")


def test_site_location_from_this_device(new_context):
    ctx = new_context(
        {
            **PHONE,
            "permissions": ["geolocation"],
            "geolocation": {"latitude": 34.2612, "longitude": 108.9473, "accuracy": 12},
        }
    )
    page = ctx.new_page()
    log_in_at(page, "/sites/1/edit", "ent_demo1")
    page.click("text=使用这台设备的位置")
    expect(page.locator(".geo-here-status")).to_contain_text("精度约 12 米")
    assert page.input_value("input[name=latitude]") == "34.261200"
    assert page.input_value("input[name=longitude]") == "108.947300"


def test_kiosk_link_copy_button_and_qr(new_context, shot):
    ctx = new_context({**DESKTOP, "permissions": ["clipboard-read", "clipboard-write"]})
    page = ctx.new_page()
    log_in_at(page, "/checkin/enterprise/sites", "ent_demo2")
    link = create_kiosk_link(page, "前台平板（复制）")
    expect(page.locator(".link-qr svg")).to_be_visible()
    page.click("text=复制链接")
    expect(page.locator("[data-copy]")).to_have_text("已复制")
    assert page.evaluate("() => navigator.clipboard.readText()") == link
    shot(page, "kiosk-link")


def test_enterprise_sees_pending_badge_and_pages(new_context, shot):
    page = new_context(PHONE).new_page()
    log_in_at(page, "/checkin/enterprise/sessions", "ent_demo1")
    badge = page.locator("nav.mainnav a", has_text="待确认").locator(".nav-count")
    expect(badge).to_be_visible()
    assert int(re.sub(r"\D", "", badge.inner_text())) > 0
    shot(page, "enterprise-sessions-390")


def test_audit_log_reads_as_words_on_a_phone(new_context, shot):
    page = new_context(PHONE).new_page()
    log_in_at(page, "/audit?entity=agreement", "sx_admin")
    first = page.locator(".audit-entry").first
    expect(first).to_contain_text("协议")
    expect(first.locator("a").first).to_be_visible()
    text = page.locator("main").inner_text()
    assert "\\u" not in text and '{"' not in text and "#" not in text
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shot(page, "audit-390")


CHANGED = {
    "sx_admin": [
        "/compliance",
        "/audit",
        "/students",
        "/students/1",
        "/students/1/record",
        "/compliance/students/1/2026-11",
        "/compliance/close?month=2026-11",
        "/unions",
    ],
    "ent_demo1": [
        "/checkin/enterprise/sessions",
        "/checkin/enterprise/sessions/new",
        "/checkin/scans",
        "/checkin/enterprise/sites",
        "/sites/1/edit",
    ],
    "stu_demo1": ["/me/progress", "/certificates", "/checkin/me"],
}


@pytest.mark.parametrize("username", list(CHANGED))
def test_changed_pages_screenshots(new_context, shot, username):
    """Every changed page at 390 and 1366 px, for people to look at; none wider than the
    screen."""
    for kind, width in ((PHONE, 390), (WIDE, 1366)):
        page = new_context(kind).new_page()
        page.goto("/login")
        login(page, username)
        page.wait_for_load_state()
        for path in CHANGED[username]:
            page.goto(path)
            name = re.sub(r"[^a-z0-9]+", "-", path).strip("-")
            shot(page, f"{name}-{width}")
            scroll = page.evaluate("() => document.documentElement.scrollWidth")
            assert scroll <= width, (path, scroll)
