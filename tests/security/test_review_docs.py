"""Issue 18, item 7: docs/security.md agrees with itself and with the code.

It said both that sessions last Django's default two weeks and that they end 8 hours after login, and
both that the audit IP is the socket's address (nothing reads X-Forwarded-For) and that PROXY_COUNT
picks the client's address from it.
"""

import re
from pathlib import Path

from django.conf import settings

SECURITY = Path(settings.BASE_DIR) / "docs" / "security.md"


def test_the_session_lifetime_is_stated_once_as_the_code_has_it():
    text = SECURITY.read_text()
    assert "lasts Django's default" not in text and "Sessions last" not in text
    hours = [int(h) for h in re.findall(r"`SESSION_COOKIE_AGE` after login, default (\d+) hours", text)]
    assert hours == [settings.SESSION_COOKIE_AGE // 3600]


def test_the_audit_address_is_described_once_with_proxy_count():
    text = SECURITY.read_text()
    assert "neither\n  Django nor gunicorn reads" not in text and "The audit `ip` is `REMOTE_ADDR`" not in text
    assert text.count("The audit `ip` is") == 1 and "PROXY_COUNT" in text


def test_every_finding_of_the_attack_names_a_test_that_exists():
    text = SECURITY.read_text()
    section = text[text.index("### Second review") : text.index("Regression guards")]
    rows = [line for line in section.splitlines() if re.match(r"\| \d \|", line)]
    assert [row.split("|")[1].strip() for row in rows] == [str(i) for i in range(1, 9)]
    for row in rows:
        path = re.findall(r"`(tests/[^`:]+\.py)", row)[0]
        assert (Path(settings.BASE_DIR) / path).exists(), path
