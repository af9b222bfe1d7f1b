"""E-mail, written one way: a template pair in `templates/<app>/email/` (first line the subject, the rest
the body), rendered in the recipient's language and queued through the outbox, once per address.

Call `queue_email` inside the transaction of the change the mail reports (DESIGN §5.4).
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from registry.outbox import queue_notification


def recipient_language() -> str:
    """The language a mail is written in. Our recipients (an organisation's or a vendor's notification
    addresses, a person's e-mail) keep no language of their own and have no session to choose one, so
    they get the portal's default (LANGUAGE_CODE, bokmål), whoever's request caused the mail."""
    return settings.LANGUAGE_CODE


def queue_email(template: str, context: dict, recipients: list[str], *, kind: str, object_id: object) -> int:
    """Render `template` with `context` and queue it to each distinct address; returns how many were
    queued (the outbox queues a kind/object/recipient once, so a repeat queues none)."""
    with translation.override(recipient_language()):
        text = render_to_string(template, context)
    subject, _, body = text.strip().partition("\n")
    queued = 0
    for recipient in dict.fromkeys(r.strip() for r in recipients if r and r.strip()):
        if queue_notification(
            kind=kind, recipient=recipient, subject=subject.strip(), body=body.strip() + "\n", object_id=object_id
        ):
            queued += 1
    return queued
