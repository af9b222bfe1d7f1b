"""lib/compiled.py on PostgreSQL with prepared statements: the first read of a request is also its
connection health check, so a database restart costs no request after it and no extra round trip."""

from unittest import mock

import psycopg
import pytest
from django.db import OperationalError, connections

from lib.compiled import CompiledQuery
from registry.models import Organisation
from tests import factories as f

orgno_of = CompiledQuery(lambda name: Organisation.objects.filter(name=name).values_list("orgno"), name="\x1fname\x1f")


def prepared_connection():
    connection = connections["default"]
    connection.ensure_connection()
    connection.connection.prepare_threshold = 5  # as DATABASE_URL=…?prepare_threshold=5 sets it
    return connection


def restart_backend(connection) -> None:
    """End the connection's server process, as a PostgreSQL restart does."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_first_read_of_a_request_after_a_restart_reconnects_instead_of_failing():
    org = f.make_org("Omstart AS")
    connection = prepared_connection()
    assert orgno_of.rows(name="Omstart AS") == [(org.orgno,)]
    restart_backend(connection)
    connection.health_check_done = False  # a new request (Django resets it when a request starts)
    assert orgno_of.rows(name="Omstart AS") == [(org.orgno,)]


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_first_read_is_the_health_check_no_select_1():
    f.make_org("Omstart AS")
    connection = prepared_connection()
    connection.health_check_done = False
    with mock.patch.object(connection, "is_usable", wraps=connection.is_usable) as select_1:
        orgno_of.rows(name="Omstart AS")
        assert connection.health_check_done  # a write after it in the same request is not checked again
        connection.close_if_health_check_failed()
    assert select_1.call_count == 0


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_read_later_in_the_request_is_not_repeated():
    f.make_org("Omstart AS")
    connection = prepared_connection()
    orgno_of.rows(name="Omstart AS")  # the request's first statement
    restart_backend(connection)
    with pytest.raises(OperationalError):  # mid-request, the failure shows: nothing is silently retried
        orgno_of.rows(name="Omstart AS")
    connection.close()
