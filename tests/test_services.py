"""In CI (REQUIRE_SERVICES=1) the suite must run on PostgreSQL and Redis; a missing one fails."""

import os

import pytest
import redis
from django.conf import settings
from django.db import connection

required = os.environ.get("REQUIRE_SERVICES") == "1"


@pytest.mark.django_db
def test_the_database_is_postgresql_when_services_are_required():
    if required:
        assert connection.vendor == "postgresql", "CI must run the tests on PostgreSQL (DATABASE_URL)"
    else:
        assert connection.vendor in {"sqlite", "postgresql"}


def test_redis_answers_when_services_are_required():
    url = settings.REDIS_URL
    if required:
        assert url, "CI must set REDIS_URL"
    if url:
        assert redis.Redis.from_url(url, socket_connect_timeout=3).ping()
