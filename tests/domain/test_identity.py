"""Identity rules: GB 11643 ID numbers, masking for public display, phone numbers, HMAC."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.errors import InvalidInput
from server.domain.identity import (
    age_on,
    birth_date,
    check_character,
    fingerprint,
    mask_id_number,
    mask_name,
    mask_phone,
    validate_id_number,
    validate_phone,
)

KNOWN_VALID = "11010519491231002X"
TODAY = date(2024, 6, 15)
PROVINCES = [
    *range(11, 16),
    *range(21, 24),
    *range(31, 38),
    *range(41, 47),
    *range(50, 55),
    *range(61, 66),
    71,
    81,
    82,
    83,
    91,
]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check(first17: str) -> str:
    """Independent reference implementation of ISO 7064 MOD 11-2, from the standard."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def make_id(region: str = "370102", born: str = "19800101", serial: str = "123") -> str:
    return with_check(region + born + serial)


def wrong_check(number: str) -> str:
    """The same number with a check character that is not the correct one."""
    alternatives = [c for c in "0123456789X" if c != number[17]]
    return number[:17] + alternatives[0]


def code_of(raw: str, today: date = TODAY) -> str:
    with pytest.raises(InvalidInput) as caught:
        validate_id_number(raw, today=today)
    return caught.value.code


# --- check digit --------------------------------------------------------------------------


def test_reference_helper_matches_known_valid_number() -> None:
    assert with_check("11010519491231002") == KNOWN_VALID


def test_check_character_of_known_number() -> None:
    assert check_character("11010519491231002") == "X"


@pytest.mark.parametrize(
    "number",
    [
        KNOWN_VALID,
        make_id(),
        make_id("110101", "20000229"),
        make_id("820000", "19000101"),
        make_id("910000", "20240615"),
        make_id("650102", "19991231", "999"),
    ],
)
def test_valid_numbers_are_returned_unchanged(number: str) -> None:
    assert validate_id_number(number, today=TODAY) == number


def test_every_check_value_is_reachable() -> None:
    seen = {make_id(serial=f"{n:03d}")[17] for n in range(200)}
    assert seen == set("0123456789X")


def test_wrong_check_digit_is_rejected() -> None:
    assert code_of(wrong_check(KNOWN_VALID)) == "id_number_check_digit"


def test_check_digit_error_has_both_languages() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_id_number("110105194912310021", today=TODAY)
    assert caught.value.code == "id_number_check_digit"
    assert caught.value.message_zh == "身份证号码校验位不正确"
    assert "check digit" in caught.value.message
    assert caught.value.status == 422


def test_transposed_digits_are_caught() -> None:
    number = make_id(serial="123")
    swapped = number[:14] + "213" + number[17]
    assert code_of(swapped) == "id_number_check_digit"


# --- normalisation and format -------------------------------------------------------------


def test_lowercase_x_is_normalised_to_uppercase() -> None:
    assert validate_id_number("11010519491231002x", today=TODAY) == KNOWN_VALID


def test_surrounding_whitespace_is_stripped() -> None:
    assert validate_id_number(f" \t{KNOWN_VALID}\n ", today=TODAY) == KNOWN_VALID


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        KNOWN_VALID[:17],
        KNOWN_VALID + "0",
        "110105194912310",  # old 15-digit numbers are not accepted
        "1101051949123100X2",  # X only allowed last
        "11010519491231002Y",
        "11010519491231 02X",  # inner whitespace
        "110105-19491231002X",
        "１１０１０５１９４９１２３１００２X",  # full-width digits
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits pass str.isdigit() but are not allowed
        KNOWN_VALID + "\n0",
    ],
)
def test_bad_format_is_rejected(raw: str) -> None:
    assert code_of(raw) == "id_number_format"


def test_format_error_has_both_languages() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_id_number("123")
    assert caught.value.as_dict()["code"] == "id_number_format"
    assert caught.value.message
    assert caught.value.message_zh


# --- region -------------------------------------------------------------------------------


@pytest.mark.parametrize("province", ["00", "10", "16", "20", "24", "30", "38", "40", "47", "49"])
def test_unknown_province_is_rejected(province: str) -> None:
    assert code_of(make_id(province + "0102")) == "id_number_region"


@pytest.mark.parametrize("province", ["55", "60", "66", "70", "72", "80", "84", "90", "92", "99"])
def test_more_unknown_provinces_are_rejected(province: str) -> None:
    assert code_of(make_id(province + "0102")) == "id_number_region"


@pytest.mark.parametrize("province", PROVINCES)
def test_every_listed_province_is_accepted(province: int) -> None:
    number = make_id(f"{province:02d}0102")
    assert validate_id_number(number, today=TODAY) == number


# --- birth date ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "born",
    [
        "19900230",  # 30 February
        "20230229",  # not a leap year
        "19000229",  # 1900 is not a leap year
        "19901301",
        "19900001",
        "19900100",
        "19900431",
        "18991231",  # before 1900
        "00000101",
    ],
)
def test_impossible_birth_date_is_rejected(born: str) -> None:
    assert code_of(make_id(born=born)) == "id_number_birth_date"


def test_leap_day_birth_is_accepted() -> None:
    number = make_id(born="20000229")
    assert validate_id_number(number, today=TODAY) == number


def test_birth_tomorrow_is_rejected() -> None:
    number = make_id(born=(TODAY + timedelta(days=1)).strftime("%Y%m%d"))
    with pytest.raises(InvalidInput) as caught:
        validate_id_number(number, today=TODAY)
    assert caught.value.code == "id_number_birth_date"
    assert caught.value.message_zh


def test_birth_today_is_accepted() -> None:
    number = make_id(born=TODAY.strftime("%Y%m%d"))
    assert validate_id_number(number, today=TODAY) == number


def test_future_is_judged_against_the_real_date_by_default() -> None:
    assert code_of(make_id(born="29991231"), today=date.today()) == "id_number_birth_date"
    with pytest.raises(InvalidInput):
        validate_id_number(make_id(born="29991231"))
    assert validate_id_number(KNOWN_VALID) == KNOWN_VALID


def test_region_is_checked_before_birth_date_and_check_digit() -> None:
    number = wrong_check(make_id("990102", "19900230"))
    assert code_of(number) == "id_number_region"


def test_birth_date_is_checked_before_check_digit() -> None:
    assert code_of(wrong_check(make_id(born="19900230"))) == "id_number_birth_date"


# --- birth date and age -------------------------------------------------------------------


def test_birth_date_of_known_number() -> None:
    assert birth_date(KNOWN_VALID) == date(1949, 12, 31)


def test_birth_date_accepts_lowercase_x() -> None:
    assert birth_date(KNOWN_VALID.lower()) == date(1949, 12, 31)


def test_birth_date_rejects_invalid_number() -> None:
    with pytest.raises(InvalidInput) as caught:
        birth_date(wrong_check(KNOWN_VALID))
    assert caught.value.code == "id_number_check_digit"


@pytest.mark.parametrize(
    ("day", "age"),
    [
        (date(2019, 12, 30), 69),
        (date(2019, 12, 31), 70),
        (date(2020, 1, 1), 70),
        (date(2020, 12, 30), 70),
        (date(2020, 12, 31), 71),
        (date(1949, 12, 31), 0),
        (date(1950, 12, 30), 0),
        (date(1950, 12, 31), 1),
    ],
)
def test_age_around_birthdays(day: date, age: int) -> None:
    assert age_on(KNOWN_VALID, day) == age


@pytest.mark.parametrize(
    ("day", "age"),
    [
        (date(2070, 2, 28), 69),  # not a leap year: the birthday comes on 1 March
        (date(2070, 3, 1), 70),
        (date(2072, 2, 28), 71),
        (date(2072, 2, 29), 72),
    ],
)
def test_age_of_leap_day_baby(day: date, age: int) -> None:
    assert age_on(make_id(born="20000229"), day) == age


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="before"):
        age_on(KNOWN_VALID, date(1949, 12, 30))


def test_green_channel_threshold_for_elderly() -> None:
    number = make_id(born="19540615")
    assert age_on(number, date(2024, 6, 14)) < 70
    assert age_on(number, date(2024, 6, 15)) >= 70


# --- property tests -----------------------------------------------------------------------

provinces = st.sampled_from(PROVINCES)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    province = draw(provinces)
    rest_of_region = draw(st.text(alphabet="0123456789", min_size=4, max_size=4))
    born = draw(births)
    serial = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    return with_check(f"{province:02d}{rest_of_region}{born:%Y%m%d}{serial}")


@given(valid_numbers())
def test_any_well_formed_number_validates(number: str) -> None:
    assert validate_id_number(number, today=TODAY) == number
    assert validate_id_number(number.lower(), today=TODAY) == number
    assert birth_date(number) == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


@given(valid_numbers(), st.sampled_from("0123456789X"))
def test_any_other_check_character_fails(number: str, replacement: str) -> None:
    flipped = number[:17] + replacement
    if replacement == number[17]:
        assert validate_id_number(flipped, today=TODAY) == number
    else:
        assert code_of(flipped) == "id_number_check_digit"


@given(valid_numbers(), st.integers(min_value=0, max_value=16), st.integers(1, 9))
def test_any_single_digit_change_is_caught(number: str, position: int, delta: int) -> None:
    changed_digit = str((int(number[position]) + delta) % 10)
    changed = number[:position] + changed_digit + number[position + 1 :]
    with pytest.raises(InvalidInput):
        validate_id_number(changed, today=TODAY)


@given(valid_numbers())
def test_mask_keeps_only_ends(number: str) -> None:
    masked = mask_id_number(number)
    assert len(masked) == 18
    assert masked[:3] == number[:3]
    assert masked[-4:] == number[-4:]
    assert set(masked[3:-4]) == {"*"}


# --- masking ------------------------------------------------------------------------------


def test_mask_id_number_example() -> None:
    assert mask_id_number("370102198001011234") == "370***********1234"


def test_mask_id_number_normalises_lowercase_x() -> None:
    assert mask_id_number(" 11010519491231002x ") == "110***********002X"


@pytest.mark.parametrize(("value", "masked"), [("", ""), ("1234", "****"), ("1234567", "*******")])
def test_mask_id_number_hides_short_values_entirely(value: str, masked: str) -> None:
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张", "*"),
        ("张三", "张*"),
        ("张小三", "张*三"),
        ("欧阳小明", "欧**明"),
        ("  张小三 ", "张*三"),
        ("买买提·艾力", "买****力"),
        ("John Smith", "J***"),
        ("Li", "L***"),
        ("A", "A***"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize("name", ["", "   ", "\u3000"])
def test_mask_name_rejects_empty(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        mask_name(name)
    assert caught.value.code == "name_empty"
    assert caught.value.message_zh


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=3))
def test_mask_name_keeps_length_and_ends_of_chinese_names(name: str) -> None:
    masked = mask_name(name)
    assert len(masked) == len(name)
    assert masked[0] == name[0]
    assert masked[-1] == name[-1]
    assert set(masked[1:-1]) == {"*"}


# --- phones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        " 13800138000 ",
        "138-0013-8000",
        "138 0013 8000",
        "+8613800138000",
        "+86 138 0013 8000",
        "+86-138-0013-8000",
    ],
)
def test_validate_phone_accepts_common_spellings(raw: str) -> None:
    assert validate_phone(raw) == "13800138000"


@pytest.mark.parametrize("second", "3456789")
def test_validate_phone_accepts_every_mobile_prefix(second: str) -> None:
    number = f"1{second}012345678"
    assert validate_phone(number) == number


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1380013800",  # 10 digits
        "138001380000",  # 12 digits
        "12800138000",  # 12x is not a mobile prefix
        "10800138000",
        "23800138000",
        "010-12345678",  # landline
        "+8513800138000",
        "86 13800138000",  # country code without '+'
        "1380013800O",  # letter O
        "(138)00138000",
        "１３８００１３８０００",  # full-width digits
    ],
)
def test_validate_phone_rejects(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_phone(raw)
    assert caught.value.code == "phone_format"
    assert caught.value.message_zh


def test_mask_phone() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-0013-8000") == "138****8000"


def test_mask_phone_rejects_non_mobile() -> None:
    with pytest.raises(InvalidInput) as caught:
        mask_phone("010-12345678")
    assert caught.value.code == "phone_format"


# --- fingerprint --------------------------------------------------------------------------


def test_fingerprint_is_hmac_sha256_hex() -> None:
    expected = hmac.new(b"k", KNOWN_VALID.encode(), hashlib.sha256).hexdigest()
    assert fingerprint(b"k", KNOWN_VALID) == expected
    assert len(expected) == 64


def test_fingerprint_is_stable() -> None:
    assert fingerprint(b"secret", KNOWN_VALID) == fingerprint(b"secret", KNOWN_VALID)


def test_fingerprint_normalises_case_and_whitespace() -> None:
    assert fingerprint(b"secret", " 11010519491231002x ") == fingerprint(b"secret", KNOWN_VALID)


def test_fingerprint_depends_on_secret() -> None:
    assert fingerprint(b"secret-a", KNOWN_VALID) != fingerprint(b"secret-b", KNOWN_VALID)


def test_fingerprint_depends_on_value() -> None:
    other = make_id()
    assert fingerprint(b"secret", KNOWN_VALID) != fingerprint(b"secret", other)


def test_fingerprint_does_not_contain_the_value() -> None:
    digest = fingerprint(b"secret", KNOWN_VALID)
    assert KNOWN_VALID not in digest
    assert digest != hashlib.sha256(KNOWN_VALID.encode()).hexdigest()


def test_fingerprint_rejects_empty_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        fingerprint(b"", KNOWN_VALID)
