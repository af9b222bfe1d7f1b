"""`import_register FILE`: organisations, persons, ER roles and package delegations (CONTRACT §5)."""

import json
from functools import partial
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from registry import access
from registry.models import AuditEvent, Organisation, PackageDelegation, Person, RoleAssignment
from tests import factories as f
from tests.registry import importing

KARI = "12837540109"
OLA = "23898840220"
BAKERI = "311000004"
REGNSKAP = "311000012"
AVDELING = "311000020"

GOOD = {
    "organisations": [
        {"orgno": BAKERI, "name": "Bakeri AS", "form": "AS", "parent": None, "email": "post@bakeri.example"},
        {"orgno": REGNSKAP, "name": "Regnskap AS", "form": "AS", "email": ["a@regnskap.example", "b@regnskap.example"]},
        {"orgno": AVDELING, "name": "Bakeri AS avd. Torget", "form": "BEDR", "parent": BAKERI},
    ],
    "persons": [{"pid": KARI, "name": "Kari Nordmann", "email": "kari@bakeri.example"}],
    "roles": [
        {"code": "DAGL", "holder": KARI, "of": BAKERI},
        {"code": "REGN", "holder": REGNSKAP, "of": BAKERI},
    ],
    "delegations": [{"package": "klientadministrator", "from": REGNSKAP, "to": KARI}],
}


run = partial(importing.run, "import_register")
refused = partial(importing.refused, "import_register")


def snapshot():
    return (
        sorted(Organisation.objects.values_list("orgno", "name", "form", "email", "parent__orgno")),
        sorted(Person.objects.values_list("pid", "name", "email")),
        sorted(RoleAssignment.objects.values_list("pk", "role_id", "of__orgno")),
        sorted(PackageDelegation.objects.values_list("pk", "package_id", "from_org__orgno")),
        AuditEvent.objects.count(),
    )


def test_it_imports_organisations_persons_roles_and_delegations(tmp_path, db):
    output = run(tmp_path, GOOD)

    assert "organisations: 3 created" in output
    bakeri = Organisation.objects.get(orgno=BAKERI)
    assert Organisation.objects.get(orgno=AVDELING).parent == bakeri
    assert Organisation.objects.get(orgno=REGNSKAP).emails == ["a@regnskap.example", "b@regnskap.example"]
    kari = Person.objects.get(pid=KARI)
    assert access.is_access_manager(kari, bakeri)
    assert access.is_client_admin(kari, Organisation.objects.get(orgno=REGNSKAP))
    assert "regnskapsforer-med-signeringsrettighet" in access.packages_of_org_for(
        Organisation.objects.get(orgno=REGNSKAP), bakeri
    )
    event = AuditEvent.objects.get(action="register.imported")
    assert event.actor == "command:import_register"
    assert event.data["roles"]["created"] == 2


def test_importing_the_same_file_twice_changes_nothing(tmp_path, db):
    run(tmp_path, GOOD)
    before = snapshot()

    output = run(tmp_path, GOOD)

    assert snapshot() == before
    assert "organisations: 0 created, 0 updated, 3 unchanged" in output
    assert "Nothing changed." in output


def test_a_later_file_adds_and_updates(tmp_path, db):
    run(tmp_path, GOOD)
    later = {
        "organisations": [{"orgno": BAKERI, "name": "Bakeri Nordmann AS"}],
        "persons": [{"pid": OLA, "name": "Ola Ansatt"}],
        "delegations": [{"package": "urn:altinn:accesspackage:lonn", "from": BAKERI, "to": OLA}],
    }

    output = run(tmp_path, later)

    assert "organisations: 0 created, 1 updated" in output
    bakeri = Organisation.objects.get(orgno=BAKERI)
    assert bakeri.name == "Bakeri Nordmann AS"
    assert bakeri.email == "post@bakeri.example"  # fields not in the later file are kept
    assert RoleAssignment.objects.filter(of=bakeri).count() == 2
    assert access.may_act_for(Person.objects.get(pid=OLA), bakeri)
    assert not access.is_access_manager(Person.objects.get(pid=OLA), bakeri)


def test_roles_may_be_given_as_role_codes_and_in_any_case(tmp_path, db):
    run(tmp_path, GOOD)
    run(
        tmp_path,
        {
            "persons": [{"pid": OLA, "name": "Ola"}],
            "roles": [
                {"code": "hovedadministrator", "holder": OLA, "of": BAKERI},
                {"code": "ffør", "holder": REGNSKAP, "of": AVDELING},
            ],
        },
    )

    assert RoleAssignment.objects.filter(role_id="hovedadministrator", holder_person__pid=OLA).exists()
    assert RoleAssignment.objects.filter(role__legacy_code="FFØR", holder_org__orgno=REGNSKAP).exists()


def test_it_refers_to_parties_already_in_the_register(tmp_path, db):
    org = f.make_org("Finnes AS")
    person = f.make_person("Finnes Person")

    run(tmp_path, {"roles": [{"code": "DAGL", "holder": person.pid, "of": org.orgno}]})

    assert access.is_access_manager(person, org)


def test_dry_run_counts_but_writes_nothing(tmp_path, db):
    output = run(tmp_path, GOOD, "--dry-run")

    assert "organisations: 3 created" in output
    assert "nothing was written" in output
    assert not Organisation.objects.exists()


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            lambda d: d["organisations"][1].update(orgno="311000013"),
            "organisations[1].orgno: '311000013' is not a valid organisation number (mod-11",
        ),
        (
            lambda d: d["organisations"][1].update(orgno=311000012),
            "organisations[1].orgno: must be an organisation number as a string of 9 digits, got a number",
        ),
        (
            lambda d: d["organisations"][0].update(orgno="12345"),
            "organisations[0].orgno: '12345' is not an organisation number (9 digits)",
        ),
        (
            lambda d: d["persons"][0].update(pid="12837540108"),
            "persons[0].pid: '12837540108' is not a valid national identity number",
        ),
        (lambda d: d["persons"][0].update(pid="01017012345"), "is not a valid national identity number"),
        (lambda d: d["roles"][0].update(code="BOSS"), "roles[0].code: unknown role code 'BOSS'"),
        (lambda d: d["roles"][0].update(holder=OLA), f"roles[0].holder: no person {OLA} in the file or the register"),
        (
            lambda d: d["roles"][1].update(holder="311000039"),
            "roles[1].holder: no organisation 311000039 in the file or the register",
        ),
        (
            lambda d: d["roles"][1].update(holder="abc"),
            "roles[1].holder: must be a national identity number (11 digits) or an organisation number (9 digits)",
        ),
        (
            lambda d: d["delegations"][0].update(package="ingen-slik"),
            "delegations[0].package: unknown access package 'ingen-slik'",
        ),
        (lambda d: d["delegations"][0].pop("to"), "delegations[0].to: missing field"),
        (
            lambda d: d["organisations"][2].update(parent="311000039"),
            "organisations[2].parent: parent organisation 311000039 is not in the file or the register",
        ),
        (
            lambda d: d["organisations"][0].update(parent=BAKERI),
            "organisations[0].parent: an organisation cannot be its own parent",
        ),
        (lambda d: d["organisations"][0].update(parent=AVDELING), "parents would form a loop"),
        (
            lambda d: d["organisations"][0].update(email="ikke en adresse"),
            "organisations[0].email: 'ikke en adresse' is not a valid e-mail address",
        ),
        (lambda d: d["organisations"][0].update(name=""), "organisations[0].name: must not be empty"),
        (
            lambda d: d["organisations"][0].update(name=["Bakeri"]),
            "organisations[0].name: must be a string, got a list",
        ),
        (lambda d: d["organisations"][0].update(colour="red"), "organisations[0].colour: unknown field"),
        (
            lambda d: d["organisations"].append(dict(d["organisations"][0])),
            f"organisations[3].orgno: organisation {BAKERI} is also at organisations[0]",
        ),
        (lambda d: d.update(persons={"pid": KARI}), "persons: must be a list, got an object"),
        (lambda d: d.update(roller=[]), "roller: unknown field"),
    ],
)
def test_it_refuses_bad_input_naming_where_and_what_and_changes_nothing(tmp_path, db, change, expected):
    document = json.loads(json.dumps(GOOD))
    change(document)

    message = refused(tmp_path, document)

    assert expected in message
    assert "nothing imported" in message
    assert not Organisation.objects.exists() and not Person.objects.exists()
    assert not AuditEvent.objects.exists()


def test_problems_name_the_json_line(tmp_path, db):
    document = '{"organisations": [\n  {"orgno": "311000004", "name": "A"},\n  {"orgno": "311000013", "name": "B"}\n]}'

    assert "line 3: organisations[1].orgno:" in refused(tmp_path, document)


def test_it_reports_every_problem_at_once(tmp_path, db):
    document = {"persons": [{"pid": "1", "name": "A"}, {"pid": "2", "name": "B"}, {"name": "C"}]}

    message = refused(tmp_path, document)

    assert "3 problems" in message
    assert "persons[0].pid" in message and "persons[1].pid" in message and "persons[2].pid: missing field" in message


def test_a_bad_entry_late_in_the_file_leaves_the_register_as_it_was(tmp_path, db):
    run(tmp_path, GOOD)
    before = snapshot()
    document = json.loads(json.dumps(GOOD))
    document["organisations"][0]["name"] = "Nytt navn"
    document["delegations"].append({"package": "lonn", "from": BAKERI, "to": OLA})

    refused(tmp_path, document)

    assert snapshot() == before


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"organisations": [\n  {"orgno": "311000004",}\n]}', "line 2: column 24: bad JSON: Illegal trailing comma"),
        ("", "bad JSON: Expecting value"),
        ("[1, 2]", "must be an object, got a list"),
        ('"hei"', "must be an object, got a string"),
    ],
)
def test_it_refuses_files_that_are_not_a_register_document(tmp_path, db, text, expected):
    assert expected in refused(tmp_path, text)


def test_it_refuses_a_missing_file_with_a_message(db):
    with pytest.raises(CommandError, match="file not found"):
        call_command("import_register", "/nonexistent/register.json", stdout=StringIO())


def test_it_refuses_a_file_that_is_not_utf8(tmp_path, db):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"organisations": [{"orgno": "311000004", "name": "Bakeri Ås"}]}'.encode("latin-1"))

    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_register", str(path), stdout=StringIO())


def test_field_names_match_case_insensitively(tmp_path, db):
    run(tmp_path, {"Organisations": [{"OrgNo": BAKERI, "NAME": "Bakeri AS"}]})

    assert Organisation.objects.get(orgno=BAKERI).name == "Bakeri AS"


def test_a_write_conflict_with_another_import_is_a_clear_error(tmp_path, db, monkeypatch):
    from django.db import IntegrityError

    def conflicting(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr("registry.management.commands.import_register.Command.importer", conflicting)

    message = refused(tmp_path, GOOD)

    assert "the register changed during the import, nothing imported; run it again" in message
