"""What the importer tests share (import_catalog, import_register): run a command on a JSON document in
a file, or expect it refused with the reason, and nothing written."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def run(command: str, tmp_path, document, *args) -> str:
    """`manage.py <command> FILE` on `document` (a dict, written as JSON, or the file's text); its output."""
    path = tmp_path / f"{command}.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document, indent=1), encoding="utf-8")
    out = StringIO()
    call_command(command, str(path), *args, stdout=out)
    return out.getvalue()


def refused(command: str, tmp_path, document) -> str:
    """The reason the command refuses `document`."""
    with pytest.raises(CommandError) as info:
        run(command, tmp_path, document)
    return str(info.value)
