"""Log in on a phone in Chinese, switch to English, change the password."""

from __future__ import annotations

from tests.e2e.conftest import DEMO_PASSWORD, PHONE, login


def test_login_language_switch_and_password_change(server, new_context, shot):
    server.flask(
        "create-user",
        "e2e_officer",
        "--union",
        "XA",
        "--password",
        DEMO_PASSWORD,
        "--name",
        "测试干事",
    )
    page = new_context(PHONE).new_page()
    page.goto("/")
    assert page.locator("h1").inner_text() == "登录"
    shot(page, "login-zh")
    login(page, "e2e_officer")
    page.wait_for_load_state()
    assert "登录" not in page.locator("h1").first.inner_text()
    shot(page, "home-zh")
    page.click("text=English")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "home-en")
    page.goto("/account/password")
    page.fill("input[name=old_password]", DEMO_PASSWORD)
    page.fill("input[name=new_password]", "Another-Pass-2026")
    page.fill("input[name=confirm]", "Another-Pass-2026")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/account/password" not in page.url
    shot(page, "password-changed")
    page.goto("/lang/zh")
