"""The one check for text no database stores (lib/unstorable.py), used by the API paths and queries,
the PDP, the grant's claims, Maskinporten's look-up and the portal's parameters."""

import pytest

from lib.unstorable import unstorable


@pytest.mark.parametrize(
    "value",
    ["a\x00b", "\ud800", "x\udfff", {"k": "\x00"}, {"\ud83d": "v"}, ["ok", ["deep", {"x": "\x00"}]]],
)
def test_a_nul_or_a_lone_surrogate_anywhere_is_unstorable(value):
    assert unstorable(value)


@pytest.mark.parametrize(
    "value", ["", "Bakeriet Nordmann AS", "æøå 😀 \u202e", "\x01\x1f", {"k": ["v", 1, None, True]}, 0, None, 1.5]
)
def test_everything_else_is_storable(value):
    # Other control characters are stored fine; refusing them in vendor text is a rule of its own.
    assert not unstorable(value)
