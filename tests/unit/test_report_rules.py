"""Pure rules of reports and certificates."""

from __future__ import annotations

from datetime import date

import pytest

from volunteer.errors import ValidationError
from volunteer.reports.downloads import content_disposition
from volunteer.reports.rules import (
    agreement_label,
    certificate_months,
    choose_kind,
    covers_any,
    hours_fingerprint,
    is_month_over,
    is_plausible_code,
    mask_name,
    new_certificate_code,
    parse_kind,
    service_content,
)

TODAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("王小明", "王*明"),
        ("王明", "王*"),
        ("欧阳小明", "欧**明"),
        ("王", "王*"),
        ("", "*"),
        (" 李四 ", "李*"),
        ("买买提·艾力", "买****力"),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_certificate_months_inclusive():
    assert certificate_months("2026-10", "2026-12", TODAY) == ["2026-10", "2026-11", "2026-12"]
    assert certificate_months("2026-12", "2026-12", TODAY) == ["2026-12"]
    assert len(certificate_months("2025-01", "2026-12", TODAY)) == 24


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("2026-11", "2026-10", "to_month"),
        ("2026-12", "2027-01", "to_month"),
        ("2024-12", "2026-12", "to_month"),
        ("2026-13", "2026-12", "from_month"),
        ("2026-1", "2026-12", "from_month"),
        (None, "2026-12", "from_month"),
        ("2026-10", "Dec", "to_month"),
    ],
)
def test_certificate_months_refusals(first, last, field):
    with pytest.raises(ValidationError) as exc:
        certificate_months(first, last, TODAY)
    assert list(exc.value.fields) == [field]


def test_is_month_over():
    assert is_month_over("2026-11", TODAY)
    assert not is_month_over("2026-12", TODAY)
    assert not is_month_over("2027-01", TODAY)
    assert is_month_over("2025-12", TODAY)


def test_kinds():
    assert parse_kind(None) is None and parse_kind("") is None
    assert parse_kind("internship") == "internship"
    with pytest.raises(ValidationError):
        parse_kind("paid")
    assert choose_kind(None, {"volunteer": 60, "internship": 600}) == "volunteer"
    assert choose_kind(None, {"volunteer": 0, "internship": 600}) == "internship"
    assert choose_kind(None, {}) is None
    assert choose_kind("internship", {"volunteer": 60}) == "internship"


def test_fingerprint_is_order_free_and_sensitive():
    rows = [(1, "2026-10", 60), (2, "2026-11", 90)]
    assert hours_fingerprint(rows) == hours_fingerprint(list(reversed(rows)))
    assert hours_fingerprint(rows) != hours_fingerprint([(1, "2026-10", 61), (2, "2026-11", 90)])
    assert hours_fingerprint(rows) != hours_fingerprint(rows[:1])
    assert hours_fingerprint([]) == hours_fingerprint(())
    assert len(hours_fingerprint(rows)) == 64


def test_codes():
    codes = {new_certificate_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(is_plausible_code(c) and len(c) >= 20 for c in codes)
    for bad in ("short", "x" * 41, "abc/defghij", "中文中文中文中文", None, 12345678):
        assert not is_plausible_code(bad)


def test_covers_any():
    assert covers_any("2026-10", "2026-12", ["2026-11"])
    assert covers_any("2026-10", "2026-12", ["2026-12", "2027-01"])
    assert not covers_any("2026-10", "2026-12", ["2026-09", "2027-01"])
    assert not covers_any("2026-10", "2026-12", [])


def test_labels():
    assert agreement_label("volunteer", date(2026, 9, 1), date(2027, 6, 30)) == (
        "志愿服务 2026-09-01至2027-06-30"
    )
    assert agreement_label("internship", date(2026, 7, 1), date(2026, 8, 31)).startswith("实习")
    assert service_content("volunteer", "制造") == "金秋助学社会实践志愿服务（制造）"
    assert service_content("volunteer", None) == "金秋助学社会实践志愿服务"
    assert service_content("internship", None) == "岗位实习"


def test_content_disposition_has_ascii_and_utf8_names():
    header = content_disposition("西安爱心-2026-11.csv", "enterprise-3-2026-11.csv")
    assert header.startswith('attachment; filename="enterprise-3-2026-11.csv"; ')
    assert "filename*=UTF-8''%E8%A5%BF%E5%AE%89%E7%88%B1%E5%BF%83-2026-11.csv" in header
    # Quotes in a fallback cannot break out of the header value.
    assert 'filename="a_b.csv"' in content_disposition("a.csv", 'a"b.csv')
