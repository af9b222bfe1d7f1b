"""Text no database stores: NUL (PostgreSQL refuses it in text columns) and lone surrogates (no UTF-8
encoder writes them, SQLite and psycopg fail on them).

JSON escapes (`\\u0000`, `\\ud800`) let both into a parsed body, and a path or query can carry a NUL, so
input that reaches the database without a serializer's check (path and query values of the APIs, the
PDP's attributes, a grant's claims, portal parameters) is checked here first and refused as bad input
in the caller's format, instead of failing as a 500 in the database.
"""

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(value: object) -> bool:
    """Does `value` hold a NUL or a lone surrogate: a string, or JSON (dict keys and values, list items)?"""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(unstorable(item) for item in value)
    return False
