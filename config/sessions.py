"""The session engine (`SESSION_ENGINE`): Django's database sessions, except that a database that is
down while the session is saved is a database outage (503, config/errors.py), not a "bad request".

Django's database store turns every `DatabaseError` on saving an existing session into `UpdateError`,
which the session middleware answers with 400 "session interrupted" — meant for a session deleted
during the request (a logout in another tab). A page that switches whom the person acts for saves the
session on a GET, so during a PostgreSQL restart or a lock wait past its bound the approval page said
"Ugyldig forespørsel" to a person who had done nothing wrong. Only the genuinely deleted session keeps
Django's answer.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError

from lib import problems


class SessionStore(db.SessionStore):
    def save(self, must_create=False):
        try:
            super().save(must_create=must_create)
        except UpdateError as exc:
            if problems.database_unavailable(exc.__context__):
                raise exc.__context__ from None
            raise
