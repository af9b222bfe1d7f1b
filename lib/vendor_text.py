"""Text a vendor writes that people read — system names and descriptions, a request's integration
title and external reference — may hold no control or format characters (Unicode categories Cc and
Cf: line breaks, escape sequences, zero-width characters, bidi overrides such as U+202E).

A system name with a line break and a link once read as a paragraph of the platform's own e-mail, and
a bidi override turns `txt.exe` into what looks like `exe.txt`. Names and titles are one line; a
description may break lines and use tabs, nothing else. The rule is here once: the system register's
validator (API and admin) and the request service call it. It also refuses what lib/unstorable.py
refuses in text (NUL is Cc, a lone surrogate is Cs).
"""

import unicodedata

from lib.errors import FieldError

NAME_MAX_LENGTH = 200  # a system's name in any language: one line in a mail or a table, as an integration title
CODE = "AUTH.VLD-00030"  # ours: Altinn has no such rule
DETAIL = "The text may not contain control or format characters (line breaks, tabs, zero-width or bidi characters)"
MULTILINE = frozenset("\n\t")  # a description's line breaks ("\r\n" arrives as "\n" after a form's clean-up)
_REFUSED = {"Cc", "Cf", "Cs"}


def is_clean(text: str, *, multiline: bool = False) -> bool:
    """No control, format or surrogate character, except line breaks and tabs where `multiline`."""
    allowed = MULTILINE if multiline else frozenset()
    return not any(unicodedata.category(ch) in _REFUSED and ch not in allowed for ch in text)


def text_errors(texts: dict[str, str], *, multiline: bool = False) -> list[FieldError]:
    """An AUTH.VLD-00030 FieldError for each {path: text} that is not clean."""
    return [FieldError(CODE, DETAIL, [path]) for path, text in texts.items() if not is_clean(text, multiline=multiline)]
