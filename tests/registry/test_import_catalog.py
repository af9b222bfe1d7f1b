"""`import_catalog FILE`: access packages and resources with policies, added to the built-in catalog."""

import json
from functools import partial

import pytest

from registry import access
from registry.models import AccessPackage, AuditEvent, PolicyRule, Resource
from tests import factories as f
from tests.registry import importing

GOOD = {
    "packages": [
        {
            "code": "fiskekvoter",
            "name": {"nb": "Fiskekvoter", "nn": "Fiskekvotar", "en": "Fishing quotas"},
            "area": "skatt_avgift_regnskap_og_toll",
            "delegable": True,
            "assignable": True,
        },
        {"code": "skatt-naering", "name": {"nb": "Skatt næring (oppdatert)"}},
    ],
    "resources": [
        {
            "id": "fdir-kvoteregister",
            "title": {"nb": "Kvoteregister", "nn": "Kvoteregister", "en": "Quota register"},
            "owner": "971203420",
            "ownerName": "Fiskeridirektoratet",
            "delegable": True,
            "policy": {"fiskekvoter": ["read", "write"], "urn:altinn:accesspackage:skatt-naering": ["read"]},
        },
        {
            "id": "urn:altinn:resource:fdir-landingsseddel",
            "title": {"nb": "Landingsseddel"},
            "owner": "971203420",
            "policy": {"fiskekvoter": ["write"]},
        },
    ],
}


run = partial(importing.run, "import_catalog")
refused = partial(importing.refused, "import_catalog")


def snapshot():
    return (
        sorted(AccessPackage.objects.values_list("code", "name_nb", "area_id", "delegable", "assignable", "urn")),
        sorted(Resource.objects.values_list("id", "title_nb", "owner_orgno", "delegable")),
        sorted(PolicyRule.objects.values_list("pk", "resource_id", "package_id", "action")),
        AuditEvent.objects.count(),
    )


def test_it_adds_packages_and_resources_with_policies(tmp_path, db):
    output = run(tmp_path, GOOD)

    assert "packages: 1 created, 1 updated, 0 unchanged" in output
    assert "resources: 2 created" in output
    package = AccessPackage.objects.get(code="fiskekvoter")
    assert package.urn == "urn:altinn:accesspackage:fiskekvoter"
    assert package.delegable and package.assignable
    resource = Resource.objects.get(id="fdir-landingsseddel")
    assert resource.title_en == "Landingsseddel"  # nn and en default to nb
    assert resource.delegable  # default
    policy = set(PolicyRule.objects.filter(resource_id="fdir-kvoteregister").values_list("package_id", "action"))
    assert policy == {("fiskekvoter", "read"), ("fiskekvoter", "write"), ("skatt-naering", "read")}
    assert AuditEvent.objects.get(action="catalog.imported").actor == "command:import_catalog"


def test_updating_a_builtin_package_changes_only_the_fields_given(tmp_path, db):
    before = AccessPackage.objects.get(code="skatt-naering")

    run(tmp_path, GOOD)

    after = AccessPackage.objects.get(code="skatt-naering")
    assert after.name_nb == "Skatt næring (oppdatert)"
    assert (after.name_en, after.area_id, after.delegable, after.assignable) == (
        before.name_en,
        before.area_id,
        before.delegable,
        before.assignable,
    )
    assert AccessPackage.objects.count() == 224  # 223 built-in + 1


def test_importing_the_same_file_twice_changes_nothing(tmp_path, db):
    run(tmp_path, GOOD)
    before = snapshot()

    output = run(tmp_path, GOOD)

    assert snapshot() == before
    assert "packages: 0 created, 0 updated, 2 unchanged" in output
    assert "resources: 0 created, 0 updated, 2 unchanged" in output


def test_a_resource_in_a_later_file_replaces_its_policy(tmp_path, db):
    run(tmp_path, GOOD)
    later = {"resources": [dict(GOOD["resources"][0], policy={"fiskekvoter": ["read"]})]}

    output = run(tmp_path, later)

    assert "resources: 0 created, 1 updated" in output
    policy = set(PolicyRule.objects.filter(resource_id="fdir-kvoteregister").values_list("package_id", "action"))
    assert policy == {("fiskekvoter", "read")}


def test_an_imported_policy_is_what_the_delegation_check_uses(tmp_path, db):
    run(tmp_path, GOOD)
    org = f.make_org("Fiskebåt AS")
    manager = f.make_person("Skipper")
    f.give_role(manager, "DAGL", org)

    failures = access.delegation_check(
        manager, org, packages=[], rights=[{"resource": "fdir-kvoteregister", "action": "read"}]
    )

    assert failures == []  # DAGL may delegate skatt-naering, which the imported policy says grants read


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            lambda d: d["packages"][0].update(code="Fiske Kvoter"),
            "packages[0].code: 'Fiske Kvoter' is not a package code",
        ),
        (lambda d: d["packages"][0].pop("name"), "packages[0].name: missing field (needed for a new package)"),
        (lambda d: d["packages"][0].update(name={"en": "x"}), "packages[0].name.nb: missing field"),
        (lambda d: d["packages"][0].update(area="ingensteds"), "packages[0].area: unknown area 'ingensteds'"),
        (
            lambda d: d["packages"][0].update(delegable="ja"),
            "packages[0].delegable: must be true or false, got a string",
        ),
        (
            lambda d: d["packages"][0].update(urn="urn:x:fiskekvoter"),
            "packages[0].urn: must start with urn:altinn:accesspackage:",
        ),
        (
            lambda d: d["packages"][0].update(urn="urn:altinn:accesspackage:lonn"),
            "packages[0].urn: the URN urn:altinn:accesspackage:lonn belongs to package 'lonn'",
        ),
        (
            lambda d: d["packages"].append(dict(d["packages"][0])),
            "packages[2].code: package 'fiskekvoter' is also at packages[0]",
        ),
        (
            lambda d: d["resources"][0].update(owner="971203421"),
            "resources[0].owner: '971203421' is not a valid organisation number (mod-11",
        ),
        (
            lambda d: d["resources"][0].update(owner=971203420),
            "resources[0].owner: must be an organisation number as a string of 9 digits, got a number",
        ),
        (lambda d: d["resources"][0].update(id="fdir kvoter"), "resources[0].id: 'fdir kvoter' is not a resource id"),
        (
            lambda d: d["resources"][0]["policy"].update({"ukjent-pakke": ["read"]}),
            "resources[0].policy.ukjent-pakke: unknown access package 'ukjent-pakke'",
        ),
        (
            lambda d: d["resources"][0]["policy"].update({"fiskekvoter": []}),
            "resources[0].policy.fiskekvoter: must be a non-empty list of actions, got an empty list",
        ),
        (
            lambda d: d["resources"][0]["policy"].update({"fiskekvoter": ["read", ""]}),
            "resources[0].policy.fiskekvoter[1]: an action must be a non-empty string",
        ),
        (
            lambda d: d["resources"][0]["policy"].update({"fiskekvoter": [7]}),
            "resources[0].policy.fiskekvoter[0]: an action must be a non-empty string",
        ),
        (
            lambda d: d["resources"][0]["policy"].update({"fiskekvoter": "read"}),
            "resources[0].policy.fiskekvoter: must be a non-empty list of actions, got a string",
        ),
        (lambda d: d["resources"][0].update(policy={}), "resources[0].policy: must name at least one package"),
        (lambda d: d["resources"][0].pop("title"), "resources[0].title: missing field"),
        (lambda d: d["resources"][0].update(title="Kvoter"), "resources[0].title: must be an object, got a string"),
        (
            lambda d: d["resources"].append(dict(d["resources"][1])),
            "resources[2].id: resource 'fdir-landingsseddel' is also at resources[1]",
        ),
        (lambda d: d.update(ressurser=[]), "ressurser: unknown field (expected: packages, resources)"),
    ],
)
def test_it_refuses_bad_input_naming_where_and_what_and_changes_nothing(tmp_path, db, change, expected):
    before = snapshot()
    document = json.loads(json.dumps(GOOD))
    change(document)

    message = refused(tmp_path, document)

    assert expected in message
    assert "nothing imported" in message
    assert snapshot() == before


def test_problems_name_the_json_line(tmp_path, db):
    document = json.dumps(GOOD, indent=1).replace('"971203420"', '"971203421"', 1)
    line = next(i for i, text in enumerate(document.splitlines(), 1) if "971203421" in text)

    assert f"line {line}: resources[0].owner:" in refused(tmp_path, document)


def test_a_package_from_the_same_file_may_be_used_in_a_policy(tmp_path, db):
    run(tmp_path, GOOD)

    assert PolicyRule.objects.filter(package_id="fiskekvoter").count() == 3


def test_it_refuses_bad_json_with_its_line(tmp_path, db):
    assert "line 3: column" in refused(tmp_path, '{"packages": [\n  {"code": "x"}\n  {"code": "y"}]}')
