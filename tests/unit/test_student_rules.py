"""Student profile and aid-record checks (students/rules.py), without an app."""

from __future__ import annotations

from datetime import date

import pytest

from tests.student_data import bad_check_digit, good_id
from volunteer.errors import ValidationError
from volunteer.students import models, rules

TODAY = date(2026, 11, 28)


def profile(**overrides):
    values = {
        "name": " 王小明 ",
        "id_number": good_id(7),
        "phone": "138 0013 8000",
        "university": "西北大学",
        "union_code": "XA",
    }
    values.update(overrides)
    return values


def test_clean_profile_normalises_and_fills_university_city():
    clean = rules.clean_profile(profile(), today=TODAY)
    assert clean["name"] == "王小明"
    assert clean["phone"] == "13800138000"
    assert clean["id_number"] == good_id(7)
    assert clean["university_city"] == "西安"
    assert clean["major"] is None and clean["enrollment_year"] is None


def test_lower_case_x_and_spaces_in_id_are_accepted():
    number = next(good_id(n) for n in range(200) if good_id(n).endswith("X"))
    clean = rules.clean_profile(
        profile(id_number=number[:6] + " " + number[6:-1] + "x"), today=TODAY
    )
    assert clean["id_number"] == number


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", "61011320050315123"),  # 17 characters
        ("id_number", "6101132005031512345"),  # 19 characters
        ("id_number", "ABCDEF200503151234"),
        ("id_number", ""),
        ("phone", "23800138000"),
        ("phone", "1380013800"),
        ("phone", "1380013800a"),
        ("phone", ""),
        ("name", ""),
        ("name", "名" * 51),
        ("university", "   "),
        ("union_code", ""),
        ("major", "专" * 101),
        ("home_city", "城" * 51),
        ("enrollment_year", 1989),
        ("enrollment_year", 2101),
        ("enrollment_year", True),
        ("enrollment_year", "2024"),
        ("name", 123),
        ("family_hardship", "困" * 2001),
        ("name", "王\x00明"),
    ],
)
def test_clean_profile_refuses_bad_values(field, value):
    with pytest.raises(ValidationError) as info:
        rules.clean_profile(profile(**{field: value}), today=TODAY)
    assert field in info.value.fields
    assert info.value.status == 400


def test_check_digit_and_birth_date_are_checked():
    with pytest.raises(ValidationError) as info:
        rules.clean_profile(profile(id_number=bad_check_digit(good_id(7))), today=TODAY)
    assert "校验位" in info.value.fields["id_number"][0]
    with pytest.raises(ValidationError) as info:
        rules.clean_profile(profile(id_number=good_id(7, born="20050230")), today=TODAY)
    assert "出生日期" in info.value.fields["id_number"][0]
    with pytest.raises(ValidationError):  # born after today
        rules.clean_profile(profile(id_number=good_id(7, born="20270101")), today=TODAY)


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(ValidationError) as info:
        rules.clean_profile(profile(name="", phone="12", id_number="1"), today=TODAY)
    assert set(info.value.fields) == {"name", "phone", "id_number"}


def test_partial_checks_only_given_fields():
    assert rules.clean_profile({"phone": "+86 13800138000"}, today=TODAY, partial=True) == {
        "phone": "13800138000"
    }
    assert rules.clean_profile({}, today=TODAY, partial=True) == {}
    assert rules.clean_profile({"major": ""}, today=TODAY, partial=True) == {"major": None}


@pytest.mark.parametrize(
    ("university", "city"),
    [
        ("西安交通大学", "西安"),
        ("西北农林科技大学", "咸阳"),
        ("宝鸡文理学院", "宝鸡"),
        ("西安石油大学", "西安"),
        ("北京大学", None),
        ("", None),
    ],
)
def test_university_city(university, city):
    assert rules.university_city(university) == city


def test_given_university_city_wins():
    clean = rules.clean_profile(profile(university_city="咸阳"), today=TODAY)
    assert clean["university_city"] == "咸阳"


def test_clean_aid_accepts_both_categories():
    assert rules.clean_aid(2025, 3000, "regular", " 首次 ", today=TODAY) == {
        "year": 2025,
        "amount_yuan": 3000,
        "category": "regular",
        "note": "首次",
    }
    assert rules.clean_aid(2027, 0, "key_university", None, today=TODAY)["note"] is None
    assert rules.AID_CATEGORIES == models.AID_CATEGORIES


@pytest.mark.parametrize(
    ("year", "amount", "category", "field"),
    [
        (1999, 3000, "regular", "year"),
        (2028, 3000, "regular", "year"),
        ("2025", 3000, "regular", "year"),
        (True, 3000, "regular", "year"),
        (2025, -1, "regular", "amount_yuan"),
        (2025, 1_000_001, "regular", "amount_yuan"),
        (2025, 3000.5, "regular", "amount_yuan"),
        (2025, 3000, "985", "category"),
        (2025, 3000, None, "category"),
    ],
)
def test_clean_aid_refuses(year, amount, category, field):
    with pytest.raises(ValidationError) as info:
        rules.clean_aid(year, amount, category, None, today=TODAY)
    assert field in info.value.fields


# --- legal names -----------------------------------------------------------------------

import pytest as _pytest  # noqa: E402

from volunteer.students.rules import legal_name  # noqa: E402


@_pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("王小红", "王小红"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),  # the katakana dot people type
        ("阿依古丽 · 买买提", "阿依古丽·买买提"),
        ("𠈌小明", "𠈌小明"),  # a rare character outside the basic block
        ("Anna Müller", "Anna Müller"),
        ("Zhang  San", "Zhang San"),
    ],
)
def test_legal_names_accepted(typed, kept):
    assert legal_name(typed) == kept


@_pytest.mark.parametrize(
    "typed",
    [
        "王🙂小红",
        "王小红1",
        "王_小红",
        "·王小红",
        "王小红·",
        "王··小红",
        "王小红!",
        "<b>王</b>",
        "王 小红",
    ],
)
def test_legal_names_refused(typed):
    with _pytest.raises(ValueError):
        legal_name(typed)
