"""Property-based check of the vendor API against its own OpenAPI schema (schemathesis, in-process WSGI).

Whatever schemathesis generates from the schema — valid bodies, odd strings, wrong ids — the API answers
without a server error, with a status code the schema documents, and with a body that fits the schema.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import factories as f
from tests.api.conftest import ALL_VENDOR_SCOPES
from tests.maskinporten.helpers import bearer_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def keep_test_connection():
    """Like Django's test client: the raw WSGI handler would close the test's DB connection after each call."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def vendor_token(vendor, customer):
    f.make_system(vendor, "fakturering", client_ids=["client-fakturering"])
    return bearer_for(vendor, *ALL_VENDOR_SCOPES)


# Loaded once at collection from the app itself (the schema view touches no database).
schema = schemathesis.openapi.from_wsgi("/authentication/api/v1/openapi.json", get_wsgi_application())
# Random generation only: the exhaustive "coverage" phase takes minutes, and CI time is shared.
schema.config.phases.update(phases=["examples", "fuzzing"])
# The token look-up (systemuser/byExternalId) belongs to the token endpoint's tests.
schema = schema.exclude(path_regex=r"/byExternalId$")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_vendor_api_keeps_to_its_schema(case, db, keep_test_connection, vendor_token):
    case.call_and_validate(headers={"Authorization": vendor_token}, checks=CHECKS)
