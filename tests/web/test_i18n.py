"""Languages: Chinese by default, English on request and remembered; service messages,
WTForms' own messages and the catalog itself."""

from __future__ import annotations

import os
import re

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import refresh

from volunteer.errors import N_, Text

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PO = os.path.join(ROOT, "volunteer", "translations", "en", "LC_MESSAGES", "messages.po")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _catalog():
    with open(PO, "rb") as f:
        return read_po(f, locale="en")


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalog(_base_app):
    """Compile the .mo when it is missing or older than the .po (as `make` does)."""
    mo = PO[:-3] + ".mo"
    if not os.path.exists(mo) or os.path.getmtime(mo) < os.path.getmtime(PO):
        with open(mo, "wb") as f:
            write_mo(f, _catalog())
        _base_app.extensions["babel"].instance.domain_instance.cache.clear()


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def _english(client):
    resp = client.get("/lang/en")
    assert resp.status_code == 302
    return client


# --- choosing the language ---------------------------------------------------------


def test_pages_are_in_chinese_by_default(client):
    html = _html(client.get("/login"))
    assert '<html lang="zh-CN">' in html
    assert "工会工作人员、爱心企业管理员和受助大学生志愿者使用同一入口。" in html
    assert ">English</a>" in html
    assert "Log in" not in html


def test_lang_en_switches_the_page_to_english(client):
    resp = client.get("/lang/en?next=/login")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    html = _html(client.get("/login"))
    assert '<html lang="en">' in html
    assert "<h1>Log in</h1>" in html
    assert "Union staff, partner enterprise staff and student volunteers all log in here." in html
    assert "Privacy notice" in html
    assert ">中文</a>" in html
    assert "工会工作人员" not in html


def test_lang_zh_switches_back(client):
    _english(client)
    client.get("/lang/zh")
    html = _html(client.get("/login"))
    assert '<html lang="zh-CN">' in html and "<h1>登录</h1>" in html


def test_an_unknown_language_falls_back_to_chinese(client):
    client.get("/lang/fr")
    assert "<h1>登录</h1>" in _html(client.get("/login"))


def test_the_choice_is_remembered_by_a_cookie_on_a_fresh_client(app, client):
    resp = client.get("/lang/en")
    cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("lang="))
    assert cookie.startswith("lang=en;") and "Max-Age=31536000" in cookie
    fresh = app.test_client()  # no session: only the long-lived cookie comes back
    fresh.set_cookie("lang", "en")
    html = _html(fresh.get("/login"))
    assert "<h1>Log in</h1>" in html
    assert "<h1>Log in</h1>" not in _html(app.test_client().get("/login"))


def test_navigation_and_pages_of_a_logged_in_officer_in_english(world, login):
    client = _english(login(world.xa_staff))
    html = _html(client.get("/students"))
    assert "Aided students" in html and "Register student" in html
    for label in ("Dashboard", "Enterprises", "Agreements", "Sessions", "Audit log"):
        assert f">{label}</a>" in html
    assert "受助学生" not in html and "合规看板" not in html
    assert "王小明" in html  # data stays as entered


def test_a_student_page_in_english(world, login):
    client = _english(login(world.stu_xa_user))
    html = _html(client.get("/agreements/mine"))
    assert "My agreements" in html and "My service" in html
    assert "我的协议" not in html


# --- service messages (DomainError) --------------------------------------------------


def test_a_refusal_page_in_english_keeps_its_code(world, login):
    client = login(world.stu_xa_user)
    zh = client.get("/students")
    assert zh.status_code == 403 and "无权进行此操作。" in _html(zh)
    _english(client)
    resp = client.get("/students")
    html = _html(resp)
    assert resp.status_code == 403
    assert "Access denied" in html and "You are not allowed to do this." in html
    assert 'data-code="forbidden"' in html
    assert "无权" not in html


def test_a_not_found_page_in_english(world, login):
    client = _english(login(world.xa_staff))
    resp = client.get("/students/999999")
    assert resp.status_code == 404
    assert "Not found." in _html(resp) and 'data-code="not_found"' in _html(resp)


def test_a_wrong_password_message_in_english(world, client):
    _english(client)
    resp = client.post("/login", data={"username": "xa_staff", "password": "Wrong-pass-123"})
    assert "Wrong username or password." in _html(resp)
    assert "用户名或密码错误" not in _html(resp)


def test_api_messages_follow_accept_language_with_values_and_stable_codes(world, api):
    officer = api(world.xa_staff)
    zh = officer.get("/agreements?status=bogus").get_json()["error"]
    assert zh["code"] == "validation_error"
    assert zh["message"].startswith("状态应为 pending")
    en = officer.get("/agreements?status=bogus", headers={"Accept-Language": "en"}).get_json()
    assert en["error"]["code"] == "validation_error"
    assert en["error"]["message"].startswith("The status must be pending / ")
    assert en["error"]["fields"]["status"] == [en["error"]["message"]]


def test_text_is_the_chinese_string_and_localizes_with_its_values(app):
    from volunteer.i18n import localize

    text = N_("密码至少 %(n)s 位。", n=8)
    assert isinstance(text, Text) and text == "密码至少 8 位。"
    word = N_("实习")
    nested = N_("所选期间没有已确认的%(word)s时长，无法出具证明。", word=word)
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        refresh()  # the test's app context (and its `g`) outlives each request context
        assert localize(text) == "The password must have at least 8 characters."
        assert localize(nested).startswith("The chosen period has no confirmed Internship hours")
        assert localize("未找到。") == "Not found."
        assert localize("某个未登记的句子") == "某个未登记的句子"
        assert localize(None) is None
    with app.test_request_context("/"):
        refresh()
        assert localize(text) == "密码至少 8 位。"


# --- WTForms' own messages -----------------------------------------------------------


def _probe_form():
    from flask_wtf import FlaskForm
    from wtforms import SelectField, StringField
    from wtforms.validators import DataRequired

    class Probe(FlaskForm):
        class Meta:
            csrf = False

        name = StringField(validators=[DataRequired()])
        kind = SelectField(choices=[("a", "A"), ("b", "B")])

    return Probe


@pytest.mark.parametrize(
    ("cookie", "required", "choice"),
    [
        (None, "该字段是必填字段。", "不是有效的选择。"),
        ("lang=zh", "该字段是必填字段。", "不是有效的选择。"),
        ("lang=en", "This field is required.", "Not a valid choice."),
    ],
)
def test_wtforms_messages_follow_the_language(app, cookie, required, choice):
    headers = {"Cookie": cookie} if cookie else {}
    data = {"name": "", "kind": "zzz"}
    with app.test_request_context("/", method="POST", data=data, headers=headers):
        refresh()
        form = _probe_form()()
        assert not form.validate()
        assert form.name.errors == [required]
        assert form.kind.errors == [choice]


def test_the_login_form_says_required_in_both_languages(client):
    assert "该字段是必填字段。" in _html(client.post("/login", data={}))
    _english(client)
    html = _html(client.post("/login", data={}))
    assert "This field is required." in html and "该字段" not in html


# --- the catalog -----------------------------------------------------------------------


def test_the_english_catalog_translates_every_msgid():
    catalog = _catalog()
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert not missing, f"{len(missing)} untranslated; run scripts/update_translations.py"
    assert sum(1 for m in catalog if m.id) > 500


def test_translations_keep_the_placeholders_and_are_english():
    for message in _catalog():
        if not message.id:
            continue
        assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string)), (
            message.id
        )
        chinese = CJK.findall(message.string)
        # Examples of Chinese data (a city, a university) may stay in Chinese.
        assert not chinese or "e.g." in message.string, (message.id, message.string)


def test_every_string_in_the_code_is_in_the_catalog():
    """A string added to the code without a translation fails here (not only in English)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    keywords = {
        **DEFAULT_KEYWORDS,
        "_l": None,
        "lazy_gettext": None,
        "lazy_pgettext": ((1, "c"), 2),
    }
    method_map = [("volunteer/**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, msgid, _comments, context in extract_from_dir(
        ROOT, method_map, keywords=keywords, directory_filter=_code_only
    ):
        found.add((context, msgid if isinstance(msgid, str) else msgid[0]))
    catalog = _catalog()
    known = {(m.context, m.id) for m in catalog if m.id and m.string and not m.fuzzy}
    new = sorted(found - known, key=str)
    assert not new, f"not translated yet (run scripts/update_translations.py): {new[:20]}"


def _code_only(dirpath: str) -> bool:
    rel = os.path.relpath(dirpath, ROOT)
    return rel == "." or rel.split(os.sep)[0] in ("volunteer", "templates")


def test_the_compliance_chart_speaks_english_when_asked():
    from volunteer.ui.chart import compliance_chart_svg

    history = [("2026-12", 0.5), ("2027-01", None), ("2027-02", 0.75)]
    english = compliance_chart_svg(history, title="Monthly compliance rate", lang="en")
    assert ">Dec</text>" in english and ">Feb</text>" in english
    assert ">2026</text>" in english and ">2027</text>" in english  # first month, January
    assert "January 2027" not in english and "Jan 2027 no data" in english
    assert not CJK.search(english)
    chinese = compliance_chart_svg(history)
    assert ">12月</text>" in chinese and "2027年1月 无数据" in chinese
    assert "No data yet" in compliance_chart_svg([], lang="en")


def test_import_errors_in_english_name_the_row_and_the_field(world, login):
    from io import BytesIO

    from tests.conftest import valid_id_number

    client = _english(login(world.xa_staff))
    rows = [
        "姓名,身份证号,手机号,学校,工会代码,用户名,初始密码",
        f",{valid_id_number(9001)},13800138000,西北大学,XA,new_student_1,Welcome-2026",
    ]
    data = {"file": (BytesIO("\n".join(rows).encode()), "list.csv")}
    html = _html(client.post("/students/import", data=data, content_type="multipart/form-data"))
    assert "No students were imported" in html
    assert "Rows with errors: 1. No student was imported" in html
    assert "Row 2" in html and "Please fill in Name" in html
    assert "请填写" not in html
