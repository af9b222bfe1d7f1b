"""Altinn's own documented examples, replayed against our API (see altinn_examples/README.md).

`example(name)` loads one file; `swap(obj, {...})` replaces Altinn's identifiers (org numbers, system ids,
resource ids, client ids) by ours everywhere in it, and nothing else: the bodies stay as Altinn wrote them.
"""

import json
from pathlib import Path

import pytest

from tests.api.conftest import ALL_VENDOR_SCOPES, Api
from tests.maskinporten.helpers import bearer_for

EXAMPLES = Path(__file__).parent / "altinn_examples"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def swap(obj, replacements: dict[str, str]):
    """`obj` with each Altinn identifier replaced by ours (longest first, so prefixes do not clash)."""
    text = json.dumps(obj, ensure_ascii=False)
    for old in sorted(replacements, key=len, reverse=True):
        text = text.replace(old, replacements[old])
    return json.loads(text)


def json_type(value) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def assert_has_altinn_fields(ours: dict, altinns: dict, *, path: str = "", nullable: tuple[str, ...] = ()):
    """Every member of Altinn's example is in ours, spelt the same, with the same JSON type (recursively;
    for arrays, the first item). `nullable` names paths where we may answer null for Altinn's value."""
    for name, value in altinns.items():
        where = f"{path}/{name}"
        assert name in ours, f"{where} missing; we answered {sorted(ours)}"
        mine = ours[name]
        if mine is None and where in nullable:
            continue
        assert json_type(mine) == json_type(value), f"{where}: {json_type(mine)} ≠ Altinn's {json_type(value)}"
        if isinstance(value, dict):
            assert_has_altinn_fields(mine, value, path=where, nullable=nullable)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            assert mine, f"{where}: empty, Altinn's has items"
            assert_has_altinn_fields(mine[0], value[0], path=where + "[0]", nullable=nullable)


@pytest.fixture
def api(client, vendor):
    """The vendor `Fakturaprogrammet AS` with every vendor scope."""
    return Api(client, bearer_for(vendor, *ALL_VENDOR_SCOPES))
