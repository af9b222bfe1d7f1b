"""What the importers share: problems with their place, a checker that walks a JSON document, the
field checks (also used by the staff admin forms), reading files, and counts of what changed."""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from lib.identifiers import is_valid_orgno, is_valid_pid
from registry import jsonlines

MAX_PROBLEMS_SHOWN = 50
ACTION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:-]*")
PACKAGE_CODE_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
RESOURCE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


# --- shared field checks (also used by the staff admin forms) -------------------------------------


def orgno_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return f"must be an organisation number as a string of 9 digits, got {type_name(value)}"
    if not re.fullmatch(r"[0-9]{9}", value):
        return f"{value!r} is not an organisation number (9 digits)"
    if not is_valid_orgno(value):
        return f"{value!r} is not a valid organisation number (mod-11 check digit)"
    return None


def pid_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return f"must be a national identity number as a string of 11 digits, got {type_name(value)}"
    if not re.fullmatch(r"[0-9]{11}", value):
        return f"{value!r} is not a national identity number (11 digits)"
    if not is_valid_pid(value):
        return f"{value!r} is not a valid national identity number (check digits or birth date)"
    return None


def emails_problem(value: str) -> str | None:
    """Problem with a comma/semicolon separated list of e-mail addresses (empty is fine)."""
    for address in (a.strip() for a in value.replace(";", ",").split(",")):
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            return f"{address!r} is not a valid e-mail address"
    return None


def package_code_problem(value: str) -> str | None:
    if not PACKAGE_CODE_RE.fullmatch(value) or len(value) > 100:
        return f"{value!r} is not a package code (lower-case letters, digits and '-', at most 100)"
    return None


def resource_id_problem(value: str) -> str | None:
    if not RESOURCE_ID_RE.fullmatch(value) or len(value) > 200:
        return f"{value!r} is not a resource id (letters, digits, '-' and '_', at most 200)"
    return None


def action_problem(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "an action must be a non-empty string"
    if len(value) > 50 or not ACTION_RE.fullmatch(value):
        return f"{value!r} is not a valid action (letters, digits, '-', '_' or ':', at most 50)"
    return None


# --- problems --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        parts = [f"line {self.line}"] if self.line else []
        if self.path:
            parts.append(self.path)
        return ": ".join([*parts, self.message])


class InvalidImport(Exception):
    """The file cannot be imported; `problems` says where and why. Nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        # In file order, so the report reads top-down (checks that need the database run last).
        self.problems = sorted(problems, key=lambda p: p.line or 0)

    def report(self, source: str) -> str:
        shown = [f"  {p}" for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        if len(self.problems) > MAX_PROBLEMS_SHOWN:
            shown.append(f"  … and {len(self.problems) - MAX_PROBLEMS_SHOWN} more")
        count = len(self.problems)
        head = f"{source}: {count} problem{'s' if count != 1 else ''}, nothing imported:"
        return "\n".join([head, *shown])


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _line(value: object, key: str | None = None) -> int | None:
    if isinstance(value, jsonlines.Located):
        return value.line_of(key) if key else value.line
    return None


class Checker:
    """Collects problems while walking the file."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, line: int | None) -> None:
        self.problems.append(Problem(path, message, line))

    def fields(self, obj: object, path: str, line: int | None, *, required: tuple, optional: tuple) -> "Fields | None":
        """The object's fields by canonical name (names match case-insensitively; `_x` are comments)."""
        if not isinstance(obj, dict):
            self.add(path, f"must be an object, got {type_name(obj)}", line)
            return None
        canonical = {name.lower(): name for name in (*required, *optional)}
        found = Fields(path, _line(obj) or line)
        for key, value in obj.items():
            if key.startswith("_"):
                continue
            name = canonical.get(key.lower())
            if name is None:
                expected = ", ".join((*required, *optional))
                self.add(found.at(key), f"unknown field (expected: {expected})", _line(obj, key))
            elif name in found.values:
                self.add(found.at(key), "field given twice", _line(obj, key))
            else:
                found.values[name] = value
                found.lines[name] = _line(obj, key) or found.line
        for name in required:
            if name not in found.values:
                self.add(found.at(name), "missing field", found.line)
        return found

    def string(self, fields: "Fields", name: str, *, max_length: int, allow_empty: bool = False) -> str | None:
        value = fields.values.get(name)
        if not isinstance(value, str):
            self.add(fields.at(name), f"must be a string, got {type_name(value)}", fields.line_of(name))
            return None
        if not allow_empty and not value.strip():
            self.add(fields.at(name), "must not be empty", fields.line_of(name))
            return None
        if len(value) > max_length:
            self.add(fields.at(name), f"is longer than {max_length} characters", fields.line_of(name))
            return None
        return value.strip()

    def boolean(self, fields: "Fields", name: str) -> bool | None:
        value = fields.values.get(name)
        if not isinstance(value, bool):
            self.add(fields.at(name), f"must be true or false, got {type_name(value)}", fields.line_of(name))
            return None
        return value

    def orgno(self, fields: "Fields", name: str) -> str | None:
        problem = orgno_problem(fields.values.get(name))
        if problem:
            self.add(fields.at(name), problem, fields.line_of(name))
            return None
        return fields.values[name]

    def party(self, fields: "Fields", name: str) -> str | None:
        """A pid (11 digits) or an orgno (9 digits)."""
        value = fields.values.get(name)
        if isinstance(value, str) and len(value) == 11:
            problem = pid_problem(value)
        elif isinstance(value, str) and len(value) == 9:
            problem = orgno_problem(value)
        else:
            problem = (
                f"must be a national identity number (11 digits) or an organisation number (9 digits), got {value!r}"
                if isinstance(value, str)
                else f"must be a string, got {type_name(value)}"
            )
        if problem:
            self.add(fields.at(name), problem, fields.line_of(name))
            return None
        return value

    def names(self, fields: "Fields", name: str, *, max_length: int, fill: bool = True) -> dict[str, str] | None:
        """A {"nb", "nn", "en"} object: nb required; with `fill`, missing nn/en are nb, else left out."""
        inner = self.fields(
            fields.values.get(name), fields.at(name), fields.line_of(name), required=("nb",), optional=("nn", "en")
        )
        if inner is None:
            return None
        result = {}
        for lang in ("nb", "nn", "en"):
            if lang in inner.values:
                text = self.string(inner, lang, max_length=max_length, allow_empty=lang != "nb")
                if text is None:
                    return None
                result[lang] = text
        if "nb" not in result:
            return None
        if not fill:
            return {lang: text for lang, text in result.items() if text}
        return {"nb": result["nb"], "nn": result.get("nn") or result["nb"], "en": result.get("en") or result["nb"]}

    def items(self, data: "Fields", name: str) -> list[tuple[str, int | None, Any]]:
        """The entries of an optional top-level list: (path, line, entry)."""
        if name not in data.values:
            return []
        value = data.values[name]
        if not isinstance(value, list):
            self.add(name, f"must be a list, got {type_name(value)}", data.line_of(name))
            return []
        return [(f"{name}[{i}]", _line(entry) or data.line_of(name), entry) for i, entry in enumerate(value)]


@dataclass
class Fields:
    path: str
    line: int | None
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int | None] = field(default_factory=dict)

    def at(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def line_of(self, name: str) -> int | None:
        return self.lines.get(name) or self.line


# --- reading files ---------------------------------------------------------------------------------


def read_json_file(path: str | Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidImport([Problem("", "file not found")]) from None
    except UnicodeDecodeError:
        raise InvalidImport([Problem("", "the file is not UTF-8 text")]) from None
    except OSError as exc:
        raise InvalidImport([Problem("", f"cannot read the file ({exc.strerror})")]) from None
    return parse_json(text)


def parse_json(text: str) -> Any:
    try:
        return jsonlines.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        message = getattr(exc, "msg", str(exc))
        column = getattr(exc, "colno", None)
        raise InvalidImport([Problem(f"column {column}" if column else "", f"bad JSON: {message}", line)]) from None


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class Summary:
    counts: dict[str, Counts]

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.counts.values())

    def as_data(self) -> dict[str, dict[str, int]]:
        return {kind: vars(counts) for kind, counts in self.counts.items()}

    def __str__(self) -> str:
        return "\n".join(f"{kind}: {counts}" for kind, counts in self.counts.items())


def run_import(validate, apply, data: Any, *, actor: str, dry_run: bool = False) -> Summary:
    """Validate and apply a document, all in one transaction (rolled back when dry_run)."""
    with transaction.atomic():
        summary = apply(validate(data), actor=actor)
        if dry_run:
            transaction.set_rollback(True)
    return summary
