"""Norwegian identifiers: organisation numbers and national identity numbers (mod-11)."""

import re
from datetime import date

ORG_AUTHORITY = "iso6523-actorid-upis"
ORG_ICD = "0192"

_ORGNO_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
_PID_WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_PID_WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    """The mod-11 check digit for `digits`, or None when no valid digit exists (remainder 1)."""
    remainder = sum(int(d) * w for d, w in zip(digits, weights)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def is_valid_orgno(value: object) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{9}", value):
        return False
    return _mod11(value[:8], _ORGNO_WEIGHTS) == int(value[8])


def is_valid_pid(value: object) -> bool:
    """11 digits, two mod-11 check digits and a real birth date.

    Synthetic test numbers (as in Tenor) have +80 on the month; D-numbers +40 on the day.
    """
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{11}", value):
        return False
    if _mod11(value[:9], _PID_WEIGHTS_1) != int(value[9]):
        return False
    if _mod11(value[:10], _PID_WEIGHTS_2) != int(value[10]):
        return False
    day, month, year2 = int(value[0:2]), int(value[2:4]), int(value[4:6])
    if day > 40:
        day -= 40
    if month > 80:
        month -= 80
    # Only 29 February needs the year, and the last two digits tell a leap year without the century
    # (of the years a number can name, only 1900 was a multiple of four and no leap year: accepted).
    try:
        date(2000 if year2 % 4 == 0 else 2001, month, day)
    except ValueError:
        return False
    return True


def make_orgno(base8: str) -> str | None:
    """Append the check digit to 8 digits (None when the base has no valid check digit)."""
    check = _mod11(base8, _ORGNO_WEIGHTS)
    return None if check is None else base8 + str(check)


def make_pid(base9: str) -> str | None:
    """Append both check digits to 9 digits (None when either would be invalid)."""
    k1 = _mod11(base9, _PID_WEIGHTS_1)
    if k1 is None:
        return None
    k2 = _mod11(base9 + str(k1), _PID_WEIGHTS_2)
    if k2 is None:
        return None
    return base9 + str(k1) + str(k2)


def org_identifier(orgno: str) -> dict[str, str]:
    """The JSON org identifier Altinn uses: {"authority": ..., "ID": "0192:<orgno>"}."""
    return {"authority": ORG_AUTHORITY, "ID": f"{ORG_ICD}:{orgno}"}


def parse_org_identifier(value: object) -> str | None:
    """The orgno inside an org identifier object, or None when it is not a valid one."""
    if not isinstance(value, dict) or set(value) != {"authority", "ID"}:
        return None
    if value.get("authority") != ORG_AUTHORITY:
        return None
    ident = value.get("ID")
    if not isinstance(ident, str) or not ident.startswith(ORG_ICD + ":"):
        return None
    orgno = ident[len(ORG_ICD) + 1 :]
    return orgno if is_valid_orgno(orgno) else None


def grouped_orgno(orgno: str) -> str:
    """An org number as people read and say it, in groups of three ("311 000 004"); anything else as is.

    The groups are joined by no-break spaces (U+00A0), so that a narrow screen never breaks the number
    over two lines ("310 076 / 252" on a phone)."""
    if len(orgno) == 9 and orgno.isdigit():
        return f"{orgno[:3]}\u00a0{orgno[3:6]}\u00a0{orgno[6:]}"
    return orgno
