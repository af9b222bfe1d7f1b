"""The Python rules tokend mirrors are the ones it was written for (tokend/RULES.md). Runs on any database."""

from pathlib import Path

from django.conf import settings

from maskinporten import tokend


def test_tokend_mirrors_the_applications_rules_as_they_are_now():
    """If this fails, the Python that decides who gets a token changed (maskinporten/tokend.RULE_SOURCES):
    carry the change to tokend (tokend/RULES.md), then write the new version into the file."""
    pinned = (Path(settings.BASE_DIR) / "tokend/src/rules_version.txt").read_text().strip()
    assert tokend.rules_version() == pinned
