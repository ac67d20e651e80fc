"""Pure checks for a student's profile and aid records (R26): values in, clean values out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from volunteer.errors import N_, ValidationError
from volunteer.students.identity import normalize_id_number, normalize_phone

AID_CATEGORIES = ("regular", "key_university")
# Limits mirror the columns of students.models.Student.
TEXT_LIMITS = {
    "name": (50, True),
    "university": (100, True),
    "university_city": (50, False),
    "major": (100, False),
    "home_city": (50, False),
    "union_code": (32, True),
    "family_hardship": (2000, False),
}
LABELS = {
    "name": N_("姓名"),
    "university": N_("学校"),
    "university_city": N_("学校所在城市"),
    "major": N_("专业"),
    "home_city": N_("家庭所在城市"),
    "union_code": N_("所属工会"),
    "family_hardship": N_("家庭困难情况"),
}
EARLIEST_ENROLLMENT = 1990
LATEST_ENROLLMENT = 2100
EARLIEST_AID_YEAR = 2000
MAX_AID_YUAN = 1_000_000
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
VOLUNTEER_NUMBER_MAX = 32
_VOLUNTEER_NUMBER_RE = re.compile(rf"[A-Za-z0-9]{{1,{VOLUNTEER_NUMBER_MAX}}}", re.ASCII)
# Where Shaanxi's universities are, so that matching (R7) can use the university's city
# when staff leave it blank. Anything not listed stays blank rather than guessed.
UNIVERSITY_CITIES = {
    "西北大学": "西安",
    "西安交通大学": "西安",
    "西北工业大学": "西安",
    "西安电子科技大学": "西安",
    "长安大学": "西安",
    "陕西师范大学": "西安",
    "陕西科技大学": "西安",
    "西北政法大学": "西安",
    "西安外国语大学": "西安",
    "西北农林科技大学": "咸阳",
    "延安大学": "延安",
    "陕西理工大学": "汉中",
    "宝鸡文理学院": "宝鸡",
    "咸阳师范学院": "咸阳",
    "渭南师范学院": "渭南",
    "榆林学院": "榆林",
    "安康学院": "安康",
    "商洛学院": "商洛",
    "铜川职业技术学院": "铜川",
}
_CITY_PREFIXES = ("西安", "宝鸡", "咸阳", "铜川", "渭南", "延安", "汉中", "榆林", "安康", "商洛")


def university_city(university: str | None) -> str | None:
    """Return the city of a known university (or one named after its city), else None."""
    if not university:
        return None
    if university in UNIVERSITY_CITIES:
        return UNIVERSITY_CITIES[university]
    for city in _CITY_PREFIXES:
        if university.startswith(city):
            return city
    return None


def _clean_text(field: str, value: Any) -> str | None:
    """Return trimmed text (None when empty and optional), or raise ValueError."""
    limit, required = TEXT_LIMITS[field]
    label = LABELS[field]
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError(N_("%(label)s应为文本", label=label))
    text = value.strip()
    if not text:
        if required:
            raise ValueError(N_("请填写%(label)s", label=label))
        return None
    if _CONTROL_RE.search(text):
        raise ValueError(N_("%(label)s含有不可见的控制字符", label=label))
    if len(text) > limit:
        raise ValueError(N_("%(label)s不能超过%(n)s个字", label=label, n=limit))
    return text


def _clean_year(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(N_("入学年份应为整数"))
    if not EARLIEST_ENROLLMENT <= value <= LATEST_ENROLLMENT:
        raise ValueError(
            N_("入学年份应在%(low)s–%(high)s之间", low=EARLIEST_ENROLLMENT, high=LATEST_ENROLLMENT)
        )
    return value


def clean_volunteer_number(value: Any) -> str | None:
    """Return a 志愿者编号 (R37: letters and digits, at most 32), None when blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(N_("志愿者编号应为文本"))
    text = value.strip()
    if not text:
        return None
    if not _VOLUNTEER_NUMBER_RE.fullmatch(text):
        raise ValueError(N_("志愿者编号只能是字母和数字，最多%(n)s位", n=VOLUNTEER_NUMBER_MAX))
    return text


def _clean_one(field: str, value: Any, today: date) -> Any:
    """Return the clean value of one profile field, or raise ValueError/ValidationError."""
    if field == "id_number":
        return normalize_id_number(value, today=today)
    if field == "phone":
        return normalize_phone(value)
    if field == "enrollment_year":
        return _clean_year(value)
    if field == "volunteer_number":
        return clean_volunteer_number(value)
    if field == "name":
        return legal_name(_clean_text(field, value))
    return _clean_text(field, value)


# A legal name: Chinese characters (rare ones too), Latin letters (with accents, words
# separated by single spaces), and the middle dot between parts (阿依古丽·买买提).
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_NAME_PART = f"[{_HAN}{_LATIN}]+(?: [{_LATIN}]+)*"
_NAME_RE = re.compile(f"{_NAME_PART}(?:·{_NAME_PART})*")
# Dots people type for the middle dot: the katakana dot, the bullet, the one-dot leader.
_DOTS = str.maketrans({"・": "·", "•": "·", "‧": "·", "･": "·", "．": "·"})


def legal_name(value: str | None) -> str | None:
    """Return a legal name with its middle dots made one kind, or raise ValueError."""
    if value is None:
        return None
    name = re.sub(r"\s*·\s*", "·", value.translate(_DOTS))
    name = re.sub(r" {2,}", " ", name)
    if not _NAME_RE.fullmatch(name):
        raise ValueError(N_("姓名只能包含汉字、英文字母和间隔号“·”。"))
    return name


PROFILE_FIELDS = (
    "name",
    "id_number",
    "phone",
    "university",
    "university_city",
    "major",
    "enrollment_year",
    "home_city",
    "union_code",
    "family_hardship",
    "volunteer_number",
)


def clean_profile(
    values: Mapping[str, Any], *, today: date, partial: bool = False
) -> dict[str, Any]:
    """Return the profile's clean values; raise one ValidationError naming every bad field.

    With `partial`, only the fields present in `values` are checked and returned.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in PROFILE_FIELDS:
        if partial and field not in values:
            continue
        try:
            clean[field] = _clean_one(field, values.get(field), today)
        except ValidationError as exc:
            errors.setdefault(field, []).extend((exc.fields or {}).get(field, [exc.message]))
        except ValueError as exc:
            errors.setdefault(field, []).append(exc.args[0] if exc.args else str(exc))
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationError(first, fields=errors)
    if "university" in clean and not clean.get("university_city") and not partial:
        clean["university_city"] = university_city(clean["university"])
    return clean


def clean_aid(
    year: Any, amount_yuan: Any, category: Any, note: Any, *, today: date
) -> dict[str, Any]:
    """Return a clean aid record (year, amount_yuan, category, note) or raise ValidationError."""
    errors: dict[str, list[str]] = {}
    latest = today.year + 1
    if isinstance(year, bool) or not isinstance(year, int):
        errors["year"] = [N_("年度应为整数")]
    elif not EARLIEST_AID_YEAR <= year <= latest:
        errors["year"] = [N_("年度应在%(low)s–%(high)s之间", low=EARLIEST_AID_YEAR, high=latest)]
    if isinstance(amount_yuan, bool) or not isinstance(amount_yuan, int):
        errors["amount_yuan"] = [N_("金额应为整数（元）")]
    elif not 0 <= amount_yuan <= MAX_AID_YUAN:
        errors["amount_yuan"] = [N_("金额应在0–%(n)s元之间", n=MAX_AID_YUAN)]
    if category not in AID_CATEGORIES:
        errors["category"] = [N_("类别应为普通高校或985/211高校")]
    if note is not None and not isinstance(note, str):
        errors["note"] = [N_("备注应为文本")]
    elif note and len(note.strip()) > 200:
        errors["note"] = [N_("备注不能超过200个字")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationError(first, fields=errors)
    return {
        "year": year,
        "amount_yuan": amount_yuan,
        "category": category,
        "note": (note or "").strip() or None,
    }
