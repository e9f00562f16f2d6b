"""Identity data: validating, masking and fingerprinting ID numbers, names and phones.

Public screens, ticket slips and SMS must never show a citizen's full name, ID number or
phone (DESIGN.md, "Privacy"), yet the hall must still enforce "one unserved ticket per ID
number per service" and find a citizen's bookings. So ID numbers are checked strictly at
the edge (GB 11643-1999, check digit per ISO 7064 MOD 11-2), shown only masked, and
matched through a keyed HMAC fingerprint rather than stored readable.

Everything here is pure: no I/O, no clock except an explicit ``today`` parameter that
defaults to the current date.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import unicodedata
from datetime import date

from server.domain.errors import InvalidInput

__all__ = [
    "age_on",
    "birth_date",
    "check_character",
    "fingerprint",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "validate_id_number",
    "validate_phone",
]

ID_NUMBER_LENGTH = 18
_ID_NUMBER_RE = re.compile(r"[0-9]{17}[0-9X]")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_PROVINCE_CODES = frozenset(
    {
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
    }
)
_MIN_BIRTH_YEAR = 1900

# Only the characters people actually type between digit groups; anything else is an error.
_PHONE_SEPARATORS_RE = re.compile(r"[\s\-]")
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_COUNTRY_PREFIX = "+86"


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _normalise_format(raw: str) -> str:
    candidate = raw.strip().upper()
    if len(candidate) != ID_NUMBER_LENGTH or not _ID_NUMBER_RE.fullmatch(candidate):
        raise InvalidInput(
            "id_number_format",
            "ID number must be 17 digits followed by a digit or X",
            "身份证号码应为18位：17位数字加1位数字或X",
        )
    return candidate


def _check_region(number: str) -> None:
    if int(number[:2]) not in _PROVINCE_CODES:
        raise InvalidInput(
            "id_number_region",
            "ID number has an unknown region code",
            "身份证号码地区码无效",
        )


def _parse_birth_date(number: str) -> date:
    digits = number[6:14]
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    if year >= _MIN_BIRTH_YEAR:
        with contextlib.suppress(ValueError):
            return date(year, month, day)
    raise InvalidInput(
        "id_number_birth_date",
        "ID number contains an invalid birth date",
        "身份证号码中的出生日期无效",
    )


def _check_digit(number: str) -> None:
    if check_character(number[:17]) != number[17]:
        raise InvalidInput(
            "id_number_check_digit",
            "ID number check digit is incorrect",
            "身份证号码校验位不正确",
        )


def _structurally_valid(raw: str) -> str:
    """Everything except the comparison with today, which needs a clock."""
    number = _normalise_format(raw)
    _check_region(number)
    _parse_birth_date(number)
    _check_digit(number)
    return number


def validate_id_number(raw: str, today: date | None = None) -> str:
    """Validate a resident ID number (GB 11643-1999) and return it normalised.

    Surrounding whitespace is removed and a trailing lowercase ``x`` becomes ``X``.
    Raises ``InvalidInput`` with code ``id_number_format``, ``id_number_region``,
    ``id_number_birth_date`` (also for a birth date after ``today``) or
    ``id_number_check_digit``.
    """
    number = _structurally_valid(raw)
    if _parse_birth_date(number) > (today if today is not None else date.today()):
        raise InvalidInput(
            "id_number_birth_date",
            "ID number birth date is in the future",
            "身份证号码中的出生日期晚于今天",
        )
    return number


def birth_date(id_number: str) -> date:
    """The birth date encoded in a valid ID number; raises ``InvalidInput`` if it is not."""
    return _parse_birth_date(_structurally_valid(id_number))


def age_on(id_number: str, day: date) -> int:
    """Age in completed years on ``day`` (a 29 February birthday counts from 1 March)."""
    born = birth_date(id_number)
    if day < born:
        raise ValueError(f"{day.isoformat()} is before the holder's birth date")
    had_birthday = (day.month, day.day) >= (born.month, born.day)
    return day.year - born.year - (0 if had_birthday else 1)


def mask_id_number(id_number: str) -> str:
    """Keep the first 3 and last 4 characters: ``370***********1234``.

    Anything too short to keep 7 characters and still hide some is masked entirely, so a
    malformed value can never leak through a public screen.
    """
    value = id_number.strip().upper()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def _is_cjk(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY"))


def mask_name(name: str) -> str:
    """Mask a person's name for public display.

    Chinese names keep the first and (from 3 characters) the last character:
    ``张`` → ``*``, ``张三`` → ``张*``, ``张小三`` → ``张*三``, ``欧阳小明`` → ``欧**明``.
    Names without Chinese characters become the first character plus a fixed ``***``
    (``John Smith`` → ``J***``), so their length is not revealed either.
    """
    value = name.strip()
    if not value:
        raise InvalidInput("name_empty", "Name must not be empty", "姓名不能为空")
    if not any(_is_cjk(char) for char in value):
        return value[0] + "***"
    if len(value) == 1:
        return "*"
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def validate_phone(raw: str) -> str:
    """Validate a mainland mobile number and return its 11 digits.

    Spaces, dashes and a leading ``+86`` are accepted and removed. Raises ``InvalidInput``
    with code ``phone_format`` otherwise.
    """
    compact = _PHONE_SEPARATORS_RE.sub("", raw)
    compact = compact.removeprefix(_COUNTRY_PREFIX)
    if not _MOBILE_RE.fullmatch(compact):
        raise InvalidInput(
            "phone_format",
            "Phone must be an 11-digit mainland mobile number",
            "手机号码应为11位中国大陆手机号",
        )
    return compact


_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def validate_email(raw: str) -> str:
    """A plausible e-mail address (one @, a dotted domain), trimmed; else ``email_format``."""
    value = raw.strip()
    if len(value) > 254 or not _EMAIL_RE.fullmatch(value):
        raise InvalidInput("email_format", "not a valid e-mail address", "电子邮箱格式不正确",
                           field="email")  # fmt: skip
    return value


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 digits of a mainland mobile: ``138****1234``."""
    digits = validate_phone(phone)
    return digits[:3] + "****" + digits[-4:]


def fingerprint(secret: bytes, value: str) -> str:
    """HMAC-SHA256 hex digest of ``value``, for matching without storing it readable.

    Pass values already normalised by ``validate_id_number`` or ``validate_phone``; only
    surrounding whitespace and case are normalised here, so ``…x`` and ``…X`` agree.
    A keyed hash (not a plain one) because the ID number space is small enough to
    enumerate.
    """
    if not secret:
        raise ValueError("fingerprint secret must not be empty")
    message = value.strip().upper().encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
