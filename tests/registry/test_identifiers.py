import pytest

from lib.identifiers import is_valid_orgno, is_valid_pid, make_pid, parse_org_identifier


@pytest.mark.parametrize("orgno", ["974761076", "974760673", "889640782"])
def test_it_accepts_real_org_numbers(orgno):
    assert is_valid_orgno(orgno)


@pytest.mark.parametrize("orgno", ["974761077", "97476107", "9747610766", "97476107a", "", None, 974761076])
def test_it_rejects_bad_org_numbers(orgno):
    assert not is_valid_orgno(orgno)


def test_it_accepts_a_national_identity_number_with_both_check_digits():
    assert is_valid_pid(make_pid("010170123"))


def test_it_accepts_synthetic_numbers_with_80_added_to_the_month():
    assert is_valid_pid(make_pid("018170123"))


def test_it_rejects_a_wrong_check_digit():
    pid = make_pid("010170123")
    assert not is_valid_pid(pid[:10] + str((int(pid[10]) + 1) % 10))


@pytest.mark.parametrize("base", ["320170123", "011370123", "019370123"])
def test_it_rejects_impossible_birth_dates(base):
    pid = make_pid(base)
    assert pid is None or not is_valid_pid(pid)


def test_it_parses_an_org_identifier():
    assert parse_org_identifier({"authority": "iso6523-actorid-upis", "ID": "0192:974761076"}) == "974761076"


@pytest.mark.parametrize(
    "value",
    [
        {"authority": "iso6523-actorid-upis", "ID": "9908:974761076"},
        {"authority": "other", "ID": "0192:974761076"},
        {"authority": "iso6523-actorid-upis", "ID": "0192:974761077"},
        {"authority": "iso6523-actorid-upis", "ID": "0192:974761076", "extra": 1},
        "0192:974761076",
        None,
    ],
)
def test_it_refuses_bad_org_identifiers(value):
    assert parse_org_identifier(value) is None
