"""A student sees the bell, opens the inbox and follows the link; an officer works a
follow-up case. Phone-sized (390 px) screenshots of the inbox and the follow-up pages."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from chinese_calendar import is_workday

from tests.e2e.conftest import PHONE
from tests.e2e.steps import log_in_at


def _next_eve(start: date) -> date:
    """The next workday followed by a rest day: when pace reminders go out."""
    d = start
    while not (is_workday(d) and not is_workday(d + timedelta(days=1))):
        d += timedelta(days=1)
    return d


def _db(server) -> sqlite3.Connection:
    return sqlite3.connect(server.env["DATABASE_URL"].removeprefix("sqlite:///"))


def test_student_bell_inbox_and_link(server, new_context, shot):
    eve = _next_eve(date.today())
    server.set_clock(f"{eve.isoformat()} 10:00")
    try:
        server.flask("send-reminders")
        with _db(server) as conn:
            reminded = {
                name
                for (name,) in conn.execute(
                    "SELECT u.username FROM notifications n JOIN users u ON u.id = n.user_id "
                    "WHERE n.kind = 'pace_reminder' AND u.must_change_password = 0"
                )
            }
        username = "stu_demo1" if "stu_demo1" in reminded else sorted(reminded)[0]
        page = new_context(PHONE).new_page()
        log_in_at(page, "/me/progress", username)
        bell = page.locator("a.bell")
        assert bell.locator(".bell-count").inner_text() == "1"
        shot(page, "bell")
        bell.click()
        page.wait_for_url("**/notifications")
        item = page.locator(".inbox-item.unread").first
        assert "还需服务" in item.locator(".inbox-title").inner_text()
        shot(page, "inbox")
        item.locator("button").click()
        page.wait_for_url("**/me/progress?month=*")
        assert page.locator("a.bell .bell-count").count() == 0
        page.goto("/notifications/preferences")
        assert page.locator("input[name=opt_out]").count() == 5
        shot(page, "preferences")
    finally:
        server.set_clock(None)


def test_officer_works_a_follow_up_case(server, new_context, shot):
    page = new_context(PHONE).new_page()
    log_in_at(page, "/compliance", "xa_staff")
    month = (date.today().replace(day=1) - timedelta(days=40)).strftime("%Y-%m")
    page.goto(f"/compliance/close?month={month}&union=XA")
    if page.locator("input[name=close-confirm]").count():
        page.check("input[name=close-confirm]")
        page.click("form:has(input[value=close]) button[type=submit]")
        page.wait_for_load_state()
    page.goto("/compliance")
    tile = page.locator(".stat-followups .value")
    assert int(tile.inner_text()) >= 1
    page.goto("/followups")
    shot(page, "followups")
    page.locator(".list-row a").first.click()
    page.wait_for_url("**/followups/*")
    page.fill("textarea[name=n-text]", "已电话联系，学生本月考试较多。")
    page.click("form:has(input[value=note]) button[type=submit]")
    page.wait_for_load_state()
    assert "已电话联系" in page.locator(".notes").inner_text()
    shot(page, "followup-detail")
