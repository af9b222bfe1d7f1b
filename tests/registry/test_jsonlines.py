"""The JSON reader behind the import commands' line numbers."""

import json

import pytest

from registry import jsonlines

TEXT = """{"a": [
  {"x": 1,
   "y": {"z": 2}},
  {"x": 3}
 ],
 "b": "fem"}"""


def test_it_reads_the_same_values_as_json():
    assert jsonlines.loads(TEXT) == json.loads(TEXT)


def test_objects_know_their_line_and_the_line_of_each_value():
    data = jsonlines.loads(TEXT)

    assert data.line == 1
    assert data.line_of("b") == 6
    assert data["a"][0].line == 2
    assert data["a"][0].line_of("y") == 3
    assert data["a"][0]["y"].line == 3
    assert data["a"][1].line == 4


def test_bad_json_raises_with_the_line():
    with pytest.raises(json.JSONDecodeError) as info:
        jsonlines.loads('{"a": 1,\n "b" 2}')

    assert info.value.lineno == 2
