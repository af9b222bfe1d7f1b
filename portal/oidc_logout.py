"""Front-channel logout from ID-porten (OpenID Connect Front-Channel Logout 1.0).

When a person logs out of ID-porten elsewhere, ID-porten loads our `frontchannel_logout_uri` in a hidden
iframe with `iss` and `sid`. The iframe is third-party, so our session cookie (SameSite=Lax) may not come
with it: at login we note which session key belongs to which `sid` (portal.models.OidcSession), and the
logout ends those sessions through the configured session engine, whichever it is (database, cache,
files). A signed-cookie session engine keeps nothing on the server and cannot be ended this way.
"""

import logging
from datetime import timedelta
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.models import OidcSession
from registry import audit
from registry.models import Person

log = logging.getLogger(__name__)

MAX_SID_LENGTH = 255


def remember(request, *, sid: str, person: Person) -> None:
    """Note that the current (just logged-in) session belongs to ID-porten's session `sid`."""
    session_key = request.session.session_key
    if not sid or not session_key:
        return
    # Rows of sessions that have expired on their own by now: nothing will ask for them.
    OidcSession.objects.filter(created__lt=timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)).delete()
    OidcSession.objects.update_or_create(session_key=session_key, defaults={"sid": sid, "person": person})


def is_our_issuer(iss: str) -> bool:
    return bool(settings.OIDC_ISSUER) and iss == settings.OIDC_ISSUER


def end_sessions(*, sid: str, ip: str | None) -> int:
    """End every session of ours that came from ID-porten's session `sid`; return how many were live.

    Each live one is audited as `person.logout`. The caller has checked the issuer.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    with transaction.atomic():
        for row in OidcSession.objects.select_related("person").filter(sid=sid):
            session = store(session_key=row.session_key)
            if session.exists(row.session_key):
                session.delete(row.session_key)
                ended += 1
                audit.record(
                    "person.logout", actor=audit.person_actor(row.person), actor_person=row.person,
                    object_type="person", object_id=row.person.pk, data={"method": "oidc-frontchannel"}, ip=ip,
                )  # fmt: skip
            row.delete()
    return ended


def issuer_origin() -> str:
    """scheme://host[:port] of the configured issuer: the only page allowed to frame the logout."""
    parts = urlsplit(settings.OIDC_ISSUER)
    return f"{parts.scheme}://{parts.netloc}"
