"""Enterprise and site rules: profile text, capacity, coordinates and radius."""

from __future__ import annotations

import pytest

from volunteer.enterprises import rules
from volunteer.errors import ValidationError


@pytest.mark.parametrize(
    "field,value,required,expected",
    [
        ("name", "  爱心企业  ", True, "爱心企业"),
        ("city", "", False, None),
        ("city", None, False, None),
        ("city", "   ", False, None),
        ("address", "字" * 200, False, "字" * 200),
    ],
)
def test_clean_text_accepts(field, value, required, expected):
    assert rules.clean_text(field, value, required=required) == expected


@pytest.mark.parametrize(
    "field,value,required",
    [
        ("name", "", True),
        ("name", None, True),
        ("name", "字" * 101, True),
        ("city", "字" * 51, False),
        ("city", 5, False),
        ("contact_name", ["x"], False),
    ],
)
def test_clean_text_refuses(field, value, required):
    with pytest.raises(ValidationError) as err:
        rules.clean_text(field, value, required=required)
    assert list(err.value.fields) == [field]


@pytest.mark.parametrize("value", [0, 1, 10, rules.MAX_CAPACITY])
def test_capacity_accepts(value):
    assert rules.validate_capacity(value) == value


@pytest.mark.parametrize("value", [-1, rules.MAX_CAPACITY + 1, True, 1.5, "10", None])
def test_capacity_refuses(value):
    with pytest.raises(ValidationError):
        rules.validate_capacity(value)


@pytest.mark.parametrize(
    "args,expected",
    [
        ((None, None, None), (None, None, None)),
        ((34.26, 108.94, 300), (34.26, 108.94, 300)),
        ((34, 108, None), (34.0, 108.0, rules.DEFAULT_RADIUS_M)),
        ((-90, -180, 10), (-90.0, -180.0, 10)),
        ((90, 180, 5000), (90.0, 180.0, 5000)),
    ],
)
def test_location_accepts(args, expected):
    assert rules.validate_location(*args) == expected


@pytest.mark.parametrize(
    "args,field",
    [
        ((None, None, 100), "radius_m"),
        ((34.0, None, None), "longitude"),
        ((None, 108.0, None), "latitude"),
        ((90.0001, 108, None), "latitude"),
        ((-90.5, 108, None), "latitude"),
        ((34, 180.1, None), "longitude"),
        ((34, -181, None), "longitude"),
        ((float("inf"), 108, None), "latitude"),
        ((34, float("nan"), None), "longitude"),
        ((True, 108, None), "latitude"),
        (("34", 108, None), "latitude"),
        ((34, 108, 9), "radius_m"),
        ((34, 108, 5001), "radius_m"),
        ((34, 108, 100.0), "radius_m"),
        ((34, 108, False), "radius_m"),
    ],
)
def test_location_refuses(args, field):
    with pytest.raises(ValidationError) as err:
        rules.validate_location(*args)
    assert field in err.value.fields
