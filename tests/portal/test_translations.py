"""The committed catalogs are complete and compiled: a fresh machine needs no gettext to show nn/en."""

import ast
import gettext
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _entries(po: Path) -> list[dict]:
    """A small .po reader: enough for the catalogs `makemessages` writes."""
    entries, entry, field = [], None, None
    for line in po.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if entry and "msgid" in entry:
                entries.append(entry)
            entry, field = None, None
            continue
        entry = entry if entry is not None else {"flags": ""}
        if line.startswith("#,"):
            entry["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[field] += ast.literal_eval(line)
        else:
            field, _, value = line.partition(" ")
            entry[field] = ast.literal_eval(value)
    return entries[1:]  # the first one is the header


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_every_text_is_translated_and_none_is_fuzzy(lang):
    entries = _entries(LOCALE / lang / "LC_MESSAGES" / "django.po")
    assert len(entries) > 40
    for entry in entries:
        assert "fuzzy" not in entry["flags"], entry["msgid"]
        translations = [v for k, v in entry.items() if k.startswith("msgstr")]
        assert translations and all(translations), f"untranslated in {lang}: {entry['msgid']!r}"


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_the_compiled_catalog_matches_the_source(lang):
    directory = LOCALE / lang / "LC_MESSAGES"
    with (directory / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    for entry in _entries(directory / "django.po"):
        if "msgctxt" in entry:
            if "msgid_plural" in entry:
                got = catalog.npgettext(entry["msgctxt"], entry["msgid"], entry["msgid_plural"], 5)
                assert got == entry["msgstr[1]"]
            else:
                assert catalog.pgettext(entry["msgctxt"], entry["msgid"]) == entry["msgstr"]
        elif "msgid_plural" in entry:
            assert catalog.ngettext(entry["msgid"], entry["msgid_plural"], 1) == entry["msgstr[0]"]
            assert catalog.ngettext(entry["msgid"], entry["msgid_plural"], 5) == entry["msgstr[1]"]
        else:
            assert catalog.gettext(entry["msgid"]) == entry["msgstr"], f"{lang}: run `make messages`"


@pytest.mark.parametrize("lang", ["nn", "en"])
def test_placeholders_survive_translation(lang):
    import re

    for entry in _entries(LOCALE / lang / "LC_MESSAGES" / "django.po"):
        wanted = sorted(re.findall(r"%\(\w+\)s", entry["msgid"]))
        for key, value in entry.items():
            if key.startswith("msgstr"):
                assert sorted(re.findall(r"%\(\w+\)s", value)) == wanted, (lang, entry["msgid"])
