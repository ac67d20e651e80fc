"""R33: every CSV and XLSX the product writes shows formula-like text as text.

A student, a university, an enterprise and a union named like formulas go through every
export route (pages and API); no XLSX cell is a formula and every CSV cell that would be
one starts with a single quote. A new export route fails this test until it is listed.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest

from tests.report_support import add_session
from volunteer.extensions import db
from volunteer.spreadsheets import csv_bytes, safe_text, workbook_bytes

EVIL = '=HYPERLINK("http://evil.example","x")'
LEADS = ["=1+1", "+86 138", "-2+3", "@SUM(A1)", "\tx", "\rx"]

# Every export route, with the account that downloads it (what each path names is filled
# in from the world below).
EXPORTS = {
    "/compliance/export.xlsx": "sx_staff",
    "/reports/enterprise/<int:enterprise_id>/<month>.<any(csv, xlsx, pdf):fmt>": "ent_xa_staff",
    "/reports/unions/<code>/<month>.<any(csv, xlsx):fmt>": "sx_staff",
    "/api/v1/enterprises/<int:enterprise_id>/reports/<month>.<any(csv, xlsx, pdf):fmt>": "xa_staff",
    "/api/v1/unions/<code>/reports/<month>.<any(csv, xlsx):fmt>": "sx_staff",
    "/students/import/template.xlsx": "xa_staff",
    "/reports/national-export/<code>/<month>.xlsx": "xa_staff",
    "/api/v1/unions/<code>/exports/volunteer-records/<month>.xlsx": "sx_staff",
}


def test_every_export_route_is_checked(app):
    found = {
        r.rule
        for r in app.url_map.iter_rules()
        if re.search(r"\.(csv|xlsx)\b|any\(csv|xlsx\)", r.rule)
    }
    assert found <= set(EXPORTS), sorted(found - set(EXPORTS))


@pytest.fixture
def evil(world, frozen):
    from volunteer.unions.models import Union

    frozen("2026-11-01 08:00")
    w = world
    w.stu_xa.name = EVIL
    w.stu_xa.university = "+" + EVIL
    w.ent_xa.name = "@" + EVIL
    db.session.get(Union, "XA").name = "-" + EVIL
    db.session.commit()
    add_session(w.agr_xa, w.site_xa, "2026-11-07 09:00", 120)
    frozen("2026-12-03 10:00")
    return w


def _urls(w) -> list[tuple[str, str]]:
    ent, month = w.ent_xa.id, "2026-11"
    out = [
        ("sx_staff", f"/compliance/export.xlsx?list={which}&month={month}")
        for which in ("students", "at_risk", "missed", "unmatched", "unions", "enterprises")
    ]
    for fmt in ("csv", "xlsx"):
        out += [
            ("ent_xa_staff", f"/reports/enterprise/{ent}/{month}.{fmt}"),
            ("sx_staff", f"/reports/unions/SX/{month}.{fmt}"),
            ("xa_staff", f"/api/v1/enterprises/{ent}/reports/{month}.{fmt}"),
            ("sx_staff", f"/api/v1/unions/SX/reports/{month}.{fmt}"),
        ]
    out.append(("xa_staff", "/students/import/template.xlsx"))
    out.append(("xa_staff", f"/reports/national-export/XA/{month}.xlsx"))
    out.append(("sx_staff", f"/api/v1/unions/SX/exports/volunteer-records/{month}.xlsx"))
    return out


def _xlsx_texts(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = "".join(book.read(n).decode() for n in sheets)
        shared = (
            book.read("xl/sharedStrings.xml").decode()
            if "xl/sharedStrings.xml" in book.namelist()
            else ""
        )
    assert "<f>" not in xml and "<f " not in xml, "a cell was written as a formula"
    return xml + shared


def test_every_export_writes_formula_like_names_as_text(evil, client, api):
    from html import unescape

    seen_evil = 0
    for who, url in _urls(evil):
        user = getattr(evil, who)
        if url.startswith("/api/"):
            resp = api(user).get(url[len("/api/v1") :])
        else:
            client.post("/logout")
            client.post("/login", data={"username": user.username, "password": "Passw0rd-Test"})
            resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        if url.split("?")[0].endswith(".csv"):
            rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
            cells = [c for row in rows for c in row]
            assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], url
            if any(EVIL in c for c in cells):
                seen_evil += 1
                assert any(c.startswith("'") and EVIL in c for c in cells), url
        else:
            text = unescape(_xlsx_texts(resp.data))
            seen_evil += EVIL in text
    assert seen_evil >= 10  # the names did reach the files


def test_the_helper_neutralises_each_lead():
    body = csv_bytes([LEADS + ["plain", 5, -3]])
    row = next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert row[: len(LEADS)] == ["'" + v for v in LEADS]
    assert row[len(LEADS) :] == ["plain", "5", "-3"]  # numbers are numbers
    assert safe_text("张三") == "张三"

    from openpyxl import Workbook, load_workbook

    book = Workbook()
    book.active.append(LEADS)
    data = workbook_bytes(book)
    _xlsx_texts(data)
    values = [c.value for c in load_workbook(io.BytesIO(data)).active[1]]
    assert values[:5] == LEADS[:5]
    assert values[5].endswith("x")  # XML keeps a carriage return as a line feed


def test_free_text_accepts_any_printable_text(world, api):
    from tests.conftest import valid_id_number

    body = {
        "name": "张三",
        "id_number": valid_id_number(901),
        "phone": "13800009901",
        "university": EVIL,
        "major": "-负数专业",
        "home_city": "@西安",
        "union_code": "XA",
        "username": "printable",
        "password": "Initial-Pass-1",
    }
    resp = api(world.xa_staff).post("/students", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["university"] == EVIL
