"""Identity data (R26): ID numbers, credit codes, phones, encryption and lookup hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import date

import pytest
from stdnum.cn import ric, uscc

from volunteer.errors import ValidationError
from volunteer.students.identity import (
    DecryptionError,
    IdCipher,
    UnknownKeyError,
    mask_id_number,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
)

TODAY = date(2026, 3, 15)


def make_id(region: str = "610102", born: str = "19900101", seq: str = "123") -> str:
    """Return an ID number with a correct GB 11643 check digit."""
    body = region + born + seq
    return body + ric.calc_check_digit(body + "0")


def id_ending_in_x() -> str:
    for seq in range(1000):
        number = make_id(seq=f"{seq:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no check digit X in range")


def wrong_check_digit(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def reason(exc_info: pytest.ExceptionInfo[ValidationError], field: str = "id_number") -> str:
    exc = exc_info.value
    assert exc.status == 400
    assert exc.code == "validation_error"
    assert list(exc.fields) == [field]
    return exc.fields[field][0]


# --- ID numbers -------------------------------------------------------------


def test_valid_id_number_is_returned_unchanged():
    number = make_id()
    assert normalize_id_number(number, today=TODAY) == number


def test_lower_case_x_and_surrounding_space_are_normalized():
    number = id_ending_in_x()
    assert normalize_id_number(f"  {number[:-1]}x \n", today=TODAY) == number


def test_full_width_digits_and_inner_spaces_are_accepted():
    number = make_id()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert normalize_id_number(full_width, today=TODAY) == number
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"
    assert normalize_id_number(spaced, today=TODAY) == number


def test_full_width_x_is_accepted():
    number = id_ending_in_x()
    assert normalize_id_number(number[:-1] + "ｘ", today=TODAY) == number


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_id_number_asks_for_it(value):
    with pytest.raises(ValidationError) as exc:
        normalize_id_number(value, today=TODAY)
    assert reason(exc) == "请填写身份证号"


@pytest.mark.parametrize("cut", [17, 19, 15])
def test_wrong_length_says_18(cut):
    number = (make_id() + "1234")[:cut]
    with pytest.raises(ValidationError) as exc:
        normalize_id_number(number, today=TODAY)
    assert "长度应为18位" in reason(exc)
    assert f"当前{cut}位" in reason(exc)


@pytest.mark.parametrize(
    "value", ["61010219900101A123", "6101021990010112Y4", "61010219900101123Y"]
)
def test_letters_are_a_format_error(value):
    with pytest.raises(ValidationError) as exc:
        normalize_id_number(value, today=TODAY)
    assert "格式错误" in reason(exc)


def test_wrong_check_digit_is_refused():
    with pytest.raises(ValidationError) as exc:
        normalize_id_number(wrong_check_digit(make_id()), today=TODAY)
    assert "校验位错误" in reason(exc)


def test_x_where_a_digit_belongs_is_a_check_digit_error():
    number = make_id()
    assert number[-1] != "X"
    with pytest.raises(ValidationError) as exc:
        normalize_id_number(number[:-1] + "X", today=TODAY)
    assert "校验位错误" in reason(exc)


@pytest.mark.parametrize("born", ["19900230", "19901301", "19900001", "20230229", "18991231"])
def test_impossible_birth_date_is_refused_even_with_a_good_check_digit(born):
    with pytest.raises(ValidationError) as exc:
        normalize_id_number(make_id(born=born), today=TODAY)
    assert reason(exc) == "身份证号中的出生日期无效"


def test_leap_day_birth_date_is_valid():
    number = make_id(born="20040229")
    assert normalize_id_number(number, today=TODAY) == number


def test_birth_date_in_the_future_is_refused():
    with pytest.raises(ValidationError) as exc:
        normalize_id_number(make_id(born="20260316"), today=TODAY)
    assert reason(exc) == "身份证号中的出生日期晚于今天"


def test_birth_today_is_accepted():
    number = make_id(born="20260315")
    assert normalize_id_number(number, today=TODAY) == number


def test_today_defaults_to_the_clock():
    assert normalize_id_number(make_id(born="20000101")) == make_id(born="20000101")


def test_non_string_is_refused_not_crashed():
    with pytest.raises(ValidationError) as exc:
        normalize_id_number(610102199001011234, today=TODAY)  # type: ignore[arg-type]
    assert reason(exc) == "身份证号应为文本"


def test_reasons_are_distinct():
    bad = [
        "",
        make_id()[:17],
        "61010219900101A123",
        wrong_check_digit(make_id()),
        make_id(born="19900230"),
        make_id(born="20300101"),
    ]
    reasons = set()
    for value in bad:
        with pytest.raises(ValidationError) as exc:
            normalize_id_number(value, today=TODAY)
        reasons.add(reason(exc))
    assert len(reasons) == len(bad)


def test_unknown_region_code_is_not_refused():
    # stdnum's region table lags behind re-zoned counties; R26 asks for no place check.
    number = make_id(region="999999")
    assert normalize_id_number(number, today=TODAY) == number


def test_mask_id_number():
    assert mask_id_number("610102199001011234") == "610***********1234"
    assert mask_id_number("61010219900101123X") == "610***********123X"
    assert len(mask_id_number(make_id())) == 18


@pytest.mark.parametrize(
    "value,expected", [("", ""), ("1234567", "*******"), ("12345678", "123*5678")]
)
def test_mask_short_values_never_reveal_the_whole(value, expected):
    assert mask_id_number(value) == expected


# --- Credit codes -------------------------------------------------------------


def make_credit_code(body: str = "91610000MA6TG1234") -> str:
    return body + uscc.calc_check_digit(body)


def test_valid_credit_code():
    assert normalize_credit_code("91110000600037341L") == "91110000600037341L"
    code = make_credit_code()
    assert normalize_credit_code(code) == code


def test_credit_code_is_cleaned_and_upper_cased():
    assert normalize_credit_code(" 91110000-600037341l ") == "91110000600037341L"


def test_credit_code_wrong_check_digit():
    with pytest.raises(ValidationError) as exc:
        normalize_credit_code("91110000600037341M")
    assert "校验位错误" in reason(exc, "credit_code")


def test_credit_code_wrong_length():
    with pytest.raises(ValidationError) as exc:
        normalize_credit_code("9111000060003734")
    assert "长度应为18位" in reason(exc, "credit_code")


@pytest.mark.parametrize("body", ["9111A000600037341", "91110000I00037341", "91110000O00037341"])
def test_credit_code_bad_characters(body):
    code = body + "1"
    with pytest.raises(ValidationError) as exc:
        normalize_credit_code(code)
    assert "格式错误" in reason(exc, "credit_code")


def test_credit_code_empty_and_non_string():
    with pytest.raises(ValidationError) as exc:
        normalize_credit_code("  ")
    assert reason(exc, "credit_code") == "请填写统一社会信用代码"
    with pytest.raises(ValidationError):
        normalize_credit_code(None)  # type: ignore[arg-type]


# --- Phones -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13800138000",
        " 13800138000 ",
        "138-0013-8000",
        "１３８００１３８０００",
        "＋86 138 0013 8000",
        "138 0013 8000",
        "+8613800138000",
        "8613800138000",
    ],
)
def test_phone_is_normalized_to_eleven_digits(value):
    assert normalize_phone(value) == "13800138000"


@pytest.mark.parametrize(
    "value",
    [
        "23800138000",
        "1380013800",
        "138001380001",
        "1380013800a",
        "０１３８００１３８００",
        "+86138",
    ],
)
def test_bad_phones_are_refused(value):
    with pytest.raises(ValidationError) as exc:
        normalize_phone(value)
    assert reason(exc, "phone") == "手机号应为以1开头的11位数字"


def test_phone_error_uses_the_given_field():
    with pytest.raises(ValidationError) as exc:
        normalize_phone("", field="contact_phone")
    assert reason(exc, "contact_phone") == "请填写手机号"


# --- Encryption and lookup hashes -----------------------------------------------


def test_encrypt_round_trip_and_key_id():
    cipher = IdCipher("a long configured secret")
    text, key_id = cipher.encrypt("610102199001011234")
    assert key_id == cipher.primary_key_id
    assert re.fullmatch(r"[0-9a-f]{8}", key_id)
    assert cipher.decrypt(text, key_id) == "610102199001011234"
    assert "610102" not in text
    assert len(base64.b64decode(text)) == 12 + 18 + 16  # nonce + plain + tag


def test_each_encryption_uses_a_fresh_nonce():
    cipher = IdCipher("k1")
    first, _ = cipher.encrypt("610102199001011234")
    second, _ = cipher.encrypt("610102199001011234")
    assert first != second
    assert cipher.decrypt(first, cipher.primary_key_id) == cipher.decrypt(
        second, cipher.primary_key_id
    )


def test_key_id_is_stable_and_differs_between_keys():
    assert IdCipher("k1").primary_key_id == IdCipher("k1").primary_key_id
    assert IdCipher("k1").primary_key_id != IdCipher("k2").primary_key_id


def test_old_keys_still_decrypt_after_rotation():
    old = IdCipher("old secret")
    text, old_id = old.encrypt("610102199001011234")
    rotated = IdCipher("new secret", ["old secret"])
    assert rotated.primary_key_id != old_id
    assert rotated.decrypt(text, old_id) == "610102199001011234"
    assert rotated.needs_reencryption(old_id)
    assert not rotated.needs_reencryption(rotated.primary_key_id)
    new_text, new_id = rotated.encrypt("610102199001011234")
    assert new_id == rotated.primary_key_id
    assert rotated.key_ids == [rotated.primary_key_id, old_id]
    with pytest.raises(UnknownKeyError):
        old.decrypt(new_text, new_id)


def test_unknown_key_id_is_a_clear_key_error():
    cipher = IdCipher("k1")
    text, _ = cipher.encrypt("x")
    with pytest.raises(KeyError) as exc:
        cipher.decrypt(text, "deadbeef")
    assert isinstance(exc.value, UnknownKeyError)
    assert "deadbeef" in str(exc.value)


def test_tampered_or_garbage_ciphertext_is_refused():
    cipher = IdCipher("k1")
    text, key_id = cipher.encrypt("610102199001011234")
    raw = bytearray(base64.b64decode(text))
    raw[-1] ^= 1
    with pytest.raises(DecryptionError):
        cipher.decrypt(base64.b64encode(bytes(raw)).decode(), key_id)
    for garbage in ["not base64!", "", "AAAA", "中文"]:
        with pytest.raises(DecryptionError):
            cipher.decrypt(garbage, key_id)


def test_ciphertext_from_another_key_with_a_forged_key_id_is_refused():
    text, _ = IdCipher("k2").encrypt("610102199001011234")
    cipher = IdCipher("k1")
    with pytest.raises(DecryptionError):
        cipher.decrypt(text, cipher.primary_key_id)


def test_lookup_hash_is_keyed_and_normalized():
    cipher = IdCipher("k1")
    number = id_ending_in_x()
    digest = cipher.lookup_hash(number)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert cipher.lookup_hash(f" {number[:-1]}x ") == digest
    assert IdCipher("k1").lookup_hash(number) == digest
    assert IdCipher("k2").lookup_hash(number) != digest
    assert cipher.lookup_hash(make_id()) != digest
    # Derived, not the raw secret nor a bare hash: a dump plus a guess list reveals nothing.
    assert digest != hashlib.sha256(number.encode()).hexdigest()
    assert digest != hmac.new(b"k1", number.encode(), hashlib.sha256).hexdigest()


def test_lookup_hashes_cover_every_key_primary_first():
    number = make_id()
    rotated = IdCipher("new", ["old", "older"])
    hashes = rotated.lookup_hashes(number)
    assert hashes == [
        IdCipher("new").lookup_hash(number),
        IdCipher("old").lookup_hash(number),
        IdCipher("older").lookup_hash(number),
    ]
    assert hashes[0] == rotated.lookup_hash(number)


def test_repeated_keys_are_collapsed():
    cipher = IdCipher("k1", ["k1", "k0", "k0"])
    assert len(cipher.key_ids) == 2
    assert len(cipher.lookup_hashes("x")) == 2


@pytest.mark.parametrize("bad", ["", "   "])
def test_empty_keys_are_refused(bad):
    with pytest.raises(ValueError):
        IdCipher(bad)
    with pytest.raises(ValueError):
        IdCipher("k1", [bad])


def test_old_keys_must_be_a_sequence_not_a_string():
    with pytest.raises(TypeError):
        IdCipher("k1", "k0")


def test_unicode_plain_text_round_trips():
    cipher = IdCipher("密钥")
    text, key_id = cipher.encrypt("港澳居民ＩＤ")
    assert cipher.decrypt(text, key_id) == "港澳居民ＩＤ"
