"""Organisation numbers and national identity numbers (lib/identifiers.py).

The numbers are written out, not built with the production make_pid: a test that computes its input
with the code under test would agree with that code when it is wrong. Each number below has correct
mod-11 check digits (worked by hand for 01017010170: 3·0+7·1+6·0+1·1+8·7+9·0+4·1+5·0+2·1 = 70,
70 mod 11 = 4, first check digit 11−4 = 7; then 77 mod 11 = 0, second check digit 0), so a refusal
is the birth date's doing.
"""

import pytest

from lib.identifiers import (
    grouped_orgno,
    is_valid_orgno,
    is_valid_pid,
    make_orgno,
    make_pid,
    org_identifier,
    parse_org_identifier,
)

# --- organisation numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("orgno", ["974761076", "974760673", "889640782", "310000000", "999999999"])
def test_it_accepts_real_org_numbers(orgno):
    # 310000000: the remainder is 0, so the check digit is 0 (not 11); 999999999: remainder 2, digit 9.
    assert is_valid_orgno(orgno)


@pytest.mark.parametrize(
    "orgno", ["974761077", "310000001", "97476107", "9747610766", "97476107a", "", None, 974761076, " 97476107"]
)
def test_it_rejects_bad_org_numbers(orgno):
    assert not is_valid_orgno(orgno)


def test_it_appends_the_org_check_digit_or_none_when_there_is_none():
    assert make_orgno("97476107") == "974761076"
    assert make_orgno("31000000") == "310000000"
    assert make_orgno("00000006") is None  # 6·2 = 12, remainder 1: no check digit exists


def test_it_writes_and_reads_altinns_org_identifier():
    identifier = org_identifier("974761076")
    assert identifier == {"authority": "iso6523-actorid-upis", "ID": "0192:974761076"}
    assert parse_org_identifier(identifier) == "974761076"


@pytest.mark.parametrize(
    "value",
    [
        {"authority": "iso6523-actorid-upis", "ID": "9908:974761076"},
        {"authority": "other", "ID": "0192:974761076"},
        {"authority": "iso6523-actorid-upis", "ID": "0192:974761077"},
        {"authority": "iso6523-actorid-upis", "ID": "0192974761076"},
        {"authority": "iso6523-actorid-upis", "ID": "0192:"},
        {"authority": "iso6523-actorid-upis", "ID": 974761076},
        {"authority": "iso6523-actorid-upis", "ID": "0192:974761076", "extra": 1},
        {"ID": "0192:974761076"},
        "0192:974761076",
        None,
    ],
)
def test_it_refuses_bad_org_identifiers(value):
    assert parse_org_identifier(value) is None


# --- national identity numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "pid",
    [
        "01017010170",  # 1 January 1970; the second check digit is 0
        "31017010002",  # the 31st
        "15017010007",
        "30047010043",  # 30 April
        "29022410057",  # 29 February 2024, a leap year
        "29020810074",  # 29 February 2008
        "41017010083",  # D-number: 40 added to the day (1 January)
        "71017010187",  # D-number for the 31st
        "70047010037",  # D-number for 30 April
        "41127010011",  # D-number in December
        "01817010055",  # synthetic (Tenor): 80 added to the month (January)
    ],
)
def test_it_accepts_national_identity_numbers_with_a_real_birth_date(pid):
    assert is_valid_pid(pid)


@pytest.mark.parametrize(
    "pid",
    [
        "32017010041",  # day 32
        "00017010050",  # day 0
        "31047010082",  # 31 April
        "29022310036",  # 29 February 2023, no leap year
        "29021010055",  # 29 February 2010, no leap year
        "72017010035",  # D-number for day 32
        "01007010180",  # month 0
        "01137010018",  # month 13
        "01937010083",  # synthetic month 13
        "01807010065",  # synthetic month 0
    ],
)
def test_it_rejects_an_impossible_birth_date(pid):
    assert not is_valid_pid(pid)


def test_it_rejects_a_wrong_check_digit():
    assert not is_valid_pid("01017010171")  # second check digit
    assert not is_valid_pid("01017010103")  # first check digit wrong, the second right for it


@pytest.mark.parametrize("value", ["0101701017", "010170101700", "0101701017a", " 1017010170", "", None, 1017010170])
def test_it_rejects_what_is_not_eleven_digits(value):
    assert not is_valid_pid(value)


def test_it_appends_both_check_digits_or_none_when_there_is_none():
    assert make_pid("010170101") == "01017010170"
    assert make_pid("410170100") == "41017010083"
    assert make_pid("010170100") is None  # its second check digit would be 10


def test_an_org_number_reads_in_groups_that_never_break_over_two_lines():
    # No-break spaces: a phone showed "310 076 / 252" in the details page's facts.
    assert grouped_orgno("310076252") == "310\u00a0076\u00a0252"
    assert grouped_orgno("31007625") == "31007625"  # not an org number: as it is
