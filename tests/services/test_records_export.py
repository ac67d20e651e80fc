"""The national-system export (R40): headers, rows, volunteer hours only, full ID numbers
for union staff, audited downloads, rows marked exported and later `changed`."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import select

from tests.report_support import add_session, set_minutes
from volunteer import events
from volunteer.audit import AuditEntry
from volunteer.errors import Conflict, Forbidden, NotFound
from volunteer.extensions import db
from volunteer.records import exports
from volunteer.records.models import ExportMark
from volunteer.records.rules import EXPORT_HEADERS


@pytest.fixture
def served(world, frozen, make_agreement, make_student):
    """November 2026 in 西安 and 铜川; now 5 December."""
    frozen("2026-08-01 08:00")
    w = world
    w.stu_xa.volunteer_number = "61010320260007"
    w.stu_xa.name = '=HYPERLINK("http://x")王小明'  # a name that a spreadsheet would run
    w.agr_xa.service_content = "社区图书馆志愿服务"
    w.intern = make_agreement(w.stu_xa, w.ent_tc, "2026-08-01", "2026-08-31", kind="internship")
    db.session.commit()
    add_session(w.intern, w.site_tc, "2026-08-05 09:00", 480)
    frozen("2026-11-01 08:00")
    w.nov1 = add_session(w.agr_xa, w.site_xa, "2026-11-07 09:00", 500)
    w.nov2 = add_session(w.agr_xa, w.site_xa, "2026-11-21 14:00", 130)
    add_session(w.agr_xa, w.site_xa, "2026-11-28 09:00", 90, status="pending")
    add_session(w.agr_tc, w.site_tc, "2026-11-14 09:00", 240)
    frozen("2026-12-05 10:00")
    return w


def sheet(download) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(download.data))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_sheet_has_the_r40_headers_and_one_row_per_student_and_enterprise(served):
    w = served
    rows = sheet(exports.download_export(w.sx_staff, "SX", "2026-11"))
    assert tuple(rows[0]) == EXPORT_HEADERS
    assert rows[0] == [
        "姓名",
        "证件类型",
        "证件号码",
        "志愿者编号",
        "服务内容",
        "开始日期",
        "结束日期",
        "服务时长（小时）",
        "记录单位",
        "证明单位",
        "状态",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert len(rows) == 3
    xa = by_name['=HYPERLINK("http://x")王小明']
    assert xa[1:] == [
        "居民身份证",
        full_id_number(w.stu_xa),
        "61010320260007",
        "社区图书馆志愿服务",
        "2026-11-07",
        "2026-11-21",
        10.5,
        "西安爱心科技有限公司",
        "陕西省总工会",
        "新增",
    ]
    tc = by_name["李小红"]
    assert tc[4].startswith("金秋助学社会实践志愿服务") and tc[7] == 4.0


def full_id_number(student) -> str:
    from volunteer.students.services import id_cipher

    plain = id_cipher().decrypt(student.id_number_cipher, student.id_key_id)
    assert len(plain) == 18 and "*" not in plain
    return plain


def test_cells_are_text_never_formulas(served):
    w = served
    data = exports.download_export(w.xa_staff, "XA", "2026-11").data
    book = openpyxl.load_workbook(io.BytesIO(data))
    cell = book.active["A2"]
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"
    assert book.active["F2"].data_type == "s" and book.active["F2"].value == "2026-11-07"


def test_internship_hours_never_appear(served):
    w = served
    rows = sheet(exports.download_export(w.xa_staff, "XA", "2026-08"))
    assert rows == [list(EXPORT_HEADERS)]


def test_scope_month_not_over_and_roles(served):
    w = served
    assert len(sheet(exports.download_export(w.xa_staff, "XA", "2026-11"))) == 2  # 西安 only
    with pytest.raises(NotFound):
        exports.download_export(w.tc_staff, "XA", "2026-11")
    with pytest.raises(Forbidden):
        exports.download_export(w.ent_xa_staff, "XA", "2026-11")
    with pytest.raises(Conflict) as refused:
        exports.download_export(w.xa_staff, "XA", "2026-12")
    assert refused.value.code == "month_not_over"


def test_every_download_is_audited(served):
    w = served
    exports.download_export(w.xa_staff, "XA", "2026-11")
    exports.download_export(w.xa_staff, "XA", "2026-11")
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "export")).all()
    assert [(e.action, e.entity_id) for e in entries] == [("downloaded", "XA:2026-11")] * 2
    assert entries[0].after["new"] == 1 and entries[1].after["exported"] == 1
    assert "id_number" not in str(entries[0].after)


def test_rows_are_marked_and_a_later_change_marks_them_changed(served):
    w = served
    exports.download_export(w.xa_staff, "XA", "2026-11")
    mark = db.session.scalars(select(ExportMark)).one()
    assert (mark.status, mark.minutes) == ("exported", 630)
    assert sheet(exports.download_export(w.xa_staff, "XA", "2026-11"))[1][10] == "已导出"
    # An event for the month without a change of figures leaves the mark alone.
    events.hours_changed.send(w.stu_xa.id, months={"2026-11"}, actor=None)
    assert mark.status == "exported"
    set_minutes(w.nov2, 70)
    events.hours_changed.send(w.stu_xa.id, months={"2026-11"}, actor=None)
    db.session.commit()
    assert mark.status == "changed" and mark.changed_at is not None
    [changed] = exports.changed_since_export(w.xa_staff, "XA")
    assert (changed.month, changed.exported_minutes) == ("2026-11", 630)
    rows = sheet(exports.download_export(w.xa_staff, "XA", "2026-11"))
    assert (rows[1][7], rows[1][10]) == (9.5, "已变更")
    assert mark.status == "exported" and mark.minutes == 570
    assert exports.changed_since_export(w.xa_staff, "XA") == []


def test_a_confirmation_after_export_marks_the_row_changed(served):
    """The whole path: a real confirmation sends hours_changed; the receiver marks."""
    from volunteer.checkin import decisions

    w = served
    exports.download_export(w.xa_staff, "XA", "2026-11")
    pending = db.session.scalars(
        select(ExportMark.__table__.c.id)  # the export saw confirmed minutes only
    ).all()
    assert len(pending) == 1
    from volunteer.checkin.models import ServiceSession

    session = db.session.scalars(
        select(ServiceSession).where(ServiceSession.status == "pending")
    ).one()
    decisions.confirm_session(w.ent_xa_staff, session.id)
    mark = db.session.scalars(select(ExportMark)).one()
    assert mark.status == "changed"
