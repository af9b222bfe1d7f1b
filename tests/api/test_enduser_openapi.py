"""The end-user client-delegation API and the ID-porten exchange in the OpenAPI schema, and the API
keeping to it with a person token (schemathesis, as tests/api/test_schema_properties.py for vendors)."""

import time

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from lib.tokens.person import sign_person_token
from tests import factories as f
from tests.api.test_schema_properties import CHECKS, keep_test_connection  # noqa: F401 (a fixture)

SCHEMA = "/authentication/api/v1/openapi.json"
PREFIX = "/authentication/api/v1/"


def test_the_schema_lists_the_enduser_operations_with_the_person_token_scheme(client, db):
    schema = client.get(SCHEMA).json()
    paths = schema["paths"]
    for path, method in [
        ("enduser/systemuser/agents", "get"),
        ("enduser/systemuser/clients/available", "get"),
        ("enduser/systemuser/clients", "get"),
        ("enduser/systemuser/clients", "post"),
        ("enduser/systemuser/clients", "delete"),
    ]:
        operation = paths[PREFIX + path][method]
        assert operation["security"] == [{"personToken": []}], path
    assert PREFIX + "enduser/systemuser/clients/" not in paths  # the slash variant works, listed once
    scheme = schema["components"]["securitySchemes"]["personToken"]
    assert scheme["scheme"] == "bearer" and "exchange/id-porten" in scheme["description"]
    add = paths[PREFIX + "enduser/systemuser/clients"]["post"]
    assert {p["name"] for p in add["parameters"]} == {"agent", "client"}
    exchange = paths[PREFIX + "exchange/{provider}"]["get"]
    assert "text/plain" in exchange["responses"]["200"]["content"]
    # The vendor operations keep their own scheme.
    assert paths[PREFIX + "systemuser/vendor/byquery"]["get"]["security"] == [{"maskinporten": []}]


@pytest.fixture
def person_token(client_admin, accounting_firm, vendor):
    system = f.make_system(vendor, "byraa", rights=[], packages=["regnskapsforer-lonn"])
    f.make_agent_system_user(accounting_firm, system, ["regnskapsforer-lonn"])
    for name in ("Aurora Data AS", "Bryggen Blomster AS"):
        f.give_role(accounting_firm, "REGN", f.make_org(name))
    scopes = ["altinn:clientdelegations.read", "altinn:clientdelegations.write"]
    token, _ = sign_person_token(pid=client_admin.pid, scopes=scopes, not_after=int(time.time()) + 600)
    return "Bearer " + token


schema = schemathesis.openapi.from_wsgi(SCHEMA, get_wsgi_application())
schema.config.phases.update(phases=["examples", "fuzzing"])
schema = schema.include(path_regex=r"/enduser/")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_enduser_api_keeps_to_its_schema(case, db, keep_test_connection, person_token):  # noqa: F811
    case.call_and_validate(headers={"Authorization": person_token}, checks=CHECKS)
