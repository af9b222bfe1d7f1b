"""JSON parsing that remembers on which line each object and each field value starts.

Import files are written by hand or by scripts; an error message that says "line 212:
organisations[41].orgno" is the difference between a fix and a search. Python's fast JSON scanner
keeps no positions, so this uses the pure-Python scanner with a wrapper around object parsing: every
value of an object is scanned through a hook that notes its offset. Slower than `json.loads`, which
does not matter at import-file sizes.
"""

import json
import json.decoder
import json.scanner
from bisect import bisect_right
from typing import Any


class Located(dict):
    """A JSON object that knows its line (`line`) and the line of each field's value (`lines`)."""

    line: int
    lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class _LocatingDecoder(json.JSONDecoder):
    def __init__(self, text: str):
        super().__init__()
        self._line_starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
        self.parse_object = self._parse_object
        self.scan_once = json.scanner.py_make_scanner(self)

    def _line(self, offset: int) -> int:
        return bisect_right(self._line_starts, offset)

    def _parse_object(self, s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        _, start = s_and_end
        value_offsets: list[int] = []

        def noting_scan(string: str, offset: int):
            # Called once for each direct value of this object, in order (nested objects call us anew).
            value_offsets.append(offset)
            return scan_once(string, offset)

        pairs, end = json.decoder.JSONObject(s_and_end, strict, noting_scan, None, list, memo)
        obj = Located(pairs)
        obj.line = self._line(start - 1)
        obj.lines = {key: self._line(offset) for (key, _), offset in zip(pairs, value_offsets)}
        return obj, end


def loads(text: str) -> Any:
    """Like json.loads, but objects are `Located` dicts. Raises json.JSONDecodeError."""
    return _LocatingDecoder(text).decode(text)
