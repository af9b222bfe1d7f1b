"""The register file: organisations, persons, ER roles and package delegations (CONTRACT §5)."""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from registry import audit, listings
from registry.importers.common import (
    Checker,
    Counts,
    Fields,
    InvalidImport,
    Summary,
    emails_problem,
    pid_problem,
    run_import,
    type_name,
)
from registry.models import AccessPackage, Organisation, PackageDelegation, Person, Role, RoleAssignment


@dataclass
class RegisterRows:
    organisations: dict[str, dict[str, Any]] = field(default_factory=dict)  # orgno -> the fields given
    persons: dict[str, dict[str, Any]] = field(default_factory=dict)  # pid -> the fields given
    roles: list[tuple[str, str, str]] = field(default_factory=list)  # (role code, holder, of)
    delegations: list[tuple[str, str, str]] = field(default_factory=list)  # (package, from, to)


def role_codes() -> dict[str, str]:
    """Every accepted spelling of a role → its code: ER codes (DAGL, FFØR…, any case) and role codes."""
    codes = {}
    for code, legacy in Role.objects.values_list("code", "legacy_code"):
        codes[code.upper()] = code
        if legacy:
            codes[legacy.upper()] = code
    return codes


def package_code(value: str) -> str:
    """A package code from a code or a URN (urn:altinn:accesspackage:<code>)."""
    return value.removeprefix(AccessPackage.URN_PREFIX)


def _email_field(check: Checker, fields: Fields, name: str, *, max_length: int) -> str | None:
    value = fields.values.get(name)
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ", ".join(v.strip() for v in value if v.strip())
    elif not isinstance(value, str):
        problem = f"must be a string or a list of strings, got {type_name(value)}"
        check.add(fields.at(name), problem, fields.line_of(name))
        return None
    value = value.strip()
    problem = emails_problem(value) or (f"is longer than {max_length} characters" if len(value) > max_length else None)
    if problem:
        check.add(fields.at(name), problem, fields.line_of(name))
        return None
    return value


def _read_organisations(check: Checker, top: Fields, rows: RegisterRows) -> dict[str, tuple[str, str, int | None]]:
    """Organisations into rows; returns orgno → (parent orgno, path, line) for the existence check."""
    seen: dict[str, str] = {}
    parents: dict[str, tuple[str, str, int | None]] = {}
    for path, line, entry in check.items(top, "organisations"):
        f = check.fields(entry, path, line, required=("orgno", "name"), optional=("form", "parent", "email"))
        if f is None or "orgno" not in f.values:
            continue
        before = len(check.problems)
        orgno = check.orgno(f, "orgno")
        row: dict[str, Any] = {}
        if "name" in f.values:
            row["name"] = check.string(f, "name", max_length=200)
        if "form" in f.values:
            row["form"] = "" if f.values["form"] is None else check.string(f, "form", max_length=10, allow_empty=True)
        if "email" in f.values:
            row["email"] = _email_field(check, f, "email", max_length=500)
        if "parent" in f.values:
            row["parent"] = None if f.values["parent"] is None else check.orgno(f, "parent")
            if row["parent"] and row["parent"] == orgno:
                check.add(f.at("parent"), "an organisation cannot be its own parent", f.line_of("parent"))
            elif row["parent"] and orgno:
                parents[orgno] = (row["parent"], f.at("parent"), f.line_of("parent"))
        if orgno and orgno in seen:
            check.add(f.at("orgno"), f"organisation {orgno} is also at {seen[orgno]}", f.line_of("orgno"))
        elif orgno:
            seen[orgno] = path
        if len(check.problems) == before:
            rows.organisations[orgno] = row
    return parents


def _read_persons(check: Checker, top: Fields, rows: RegisterRows) -> None:
    seen: dict[str, str] = {}
    for path, line, entry in check.items(top, "persons"):
        f = check.fields(entry, path, line, required=("pid", "name"), optional=("email",))
        if f is None or "pid" not in f.values:
            continue
        before = len(check.problems)
        pid = _checked(check, f, "pid", pid_problem)
        row: dict[str, Any] = {}
        if "name" in f.values:
            row["name"] = check.string(f, "name", max_length=200)
        if "email" in f.values:
            row["email"] = _email_field(check, f, "email", max_length=254)
            if row["email"] and "," in row["email"]:
                check.add(f.at("email"), "a person has one e-mail address", f.line_of("email"))
        if pid and pid in seen:
            check.add(f.at("pid"), f"person {pid} is also at {seen[pid]}", f.line_of("pid"))
        if len(check.problems) == before:
            seen[pid] = path
            rows.persons[pid] = row


def _checked(check: Checker, fields: Fields, name: str, problem_of) -> Any:
    problem = problem_of(fields.values.get(name))
    if problem:
        check.add(fields.at(name), problem, fields.line_of(name))
        return None
    return fields.values[name]


def _want(wanted: dict, f: Fields, **parties: str | None) -> None:
    """Note where each (valid) party reference is, to say so if it exists nowhere."""
    for name, party in parties.items():
        if party:
            wanted.setdefault(party, (f.at(name), f.line_of(name)))


def _read_links(check: Checker, top: Fields, rows: RegisterRows, wanted: dict) -> None:
    """Roles and delegations; `wanted` collects every party they refer to, with where."""
    codes = role_codes()
    for path, line, entry in check.items(top, "roles"):
        f = check.fields(entry, path, line, required=("code", "holder", "of"), optional=())
        if f is None or len(f.values) < 3:
            continue
        code = check.string(f, "code", max_length=100)
        role = codes.get(code.upper()) if code else None
        if code and role is None:
            check.add(f.at("code"), f"unknown role code {code!r} (use an ER code like DAGL or REGN)", f.line_of("code"))
        holder, of = check.party(f, "holder"), check.orgno(f, "of")
        _want(wanted, f, holder=holder, of=of)
        if role and holder and of:
            rows.roles.append((role, holder, of))
    packages = set(AccessPackage.objects.values_list("code", flat=True))
    for path, line, entry in check.items(top, "delegations"):
        f = check.fields(entry, path, line, required=("package", "from", "to"), optional=())
        if f is None or len(f.values) < 3:
            continue
        code = check.string(f, "package", max_length=200)
        package = package_code(code) if code else None
        if package and package not in packages:
            check.add(f.at("package"), f"unknown access package {code!r}", f.line_of("package"))
        giver, to = check.orgno(f, "from"), check.party(f, "to")
        _want(wanted, f, **{"from": giver, "to": to})
        if package in packages and giver and to:
            rows.delegations.append((package, giver, to))


def _check_parties_exist(check: Checker, rows: RegisterRows, wanted: dict, parents: dict) -> None:
    orgnos = {p for p in wanted if len(p) == 9} | {parent for parent, _, _ in parents.values()}
    known_orgs = set(rows.organisations) | set(
        Organisation.objects.filter(orgno__in=orgnos).values_list("orgno", flat=True)
    )
    pids = {p for p in wanted if len(p) == 11} - set(rows.persons)
    known_pids = set(rows.persons) | set(Person.objects.filter(pid__in=pids).values_list("pid", flat=True))
    for party, (path, line) in wanted.items():
        if len(party) == 9 and party not in known_orgs:
            check.add(path, f"no organisation {party} in the file or the register", line)
        elif len(party) == 11 and party not in known_pids:
            check.add(path, f"no person {party} in the file or the register", line)
    for parent, path, line in parents.values():
        if parent not in known_orgs:
            check.add(path, f"parent organisation {parent} is not in the file or the register", line)
    if not check.problems:
        _check_no_parent_cycles(check, rows, parents)


def _check_no_parent_cycles(check: Checker, rows: RegisterRows, parents: dict) -> None:
    if not parents:
        return
    graph = dict(Organisation.objects.filter(parent__isnull=False).values_list("orgno", "parent__orgno"))
    graph.update({orgno: row["parent"] for orgno, row in rows.organisations.items() if "parent" in row})
    for start, (_, path, line) in parents.items():
        seen, node = {start}, graph.get(start)
        while node is not None and node not in seen:
            seen.add(node)
            node = graph.get(node)
        if node == start:
            check.add(path, f"parents would form a loop through organisation {start}", line)


def validate_register(data: Any) -> RegisterRows:
    """Check a register document (CONTRACT §5); raises InvalidImport naming every problem."""
    check = Checker()
    top = check.fields(data, "", 1, required=(), optional=("organisations", "persons", "roles", "delegations"))
    if top is None:
        raise InvalidImport(check.problems)
    rows = RegisterRows()
    parents = _read_organisations(check, top, rows)
    _read_persons(check, top, rows)
    wanted: dict[str, tuple[str, int | None]] = {}
    _read_links(check, top, rows, wanted)
    _check_parties_exist(check, rows, wanted, parents)
    if check.problems:
        raise InvalidImport(check.problems)
    return rows


def _upsert_by_key(model, key: str, rows: dict[str, dict[str, Any]], fields: tuple[str, ...]) -> dict[str, str]:
    """Create or update rows keyed by `key`, writing only what differs. Returns key → what happened."""
    existing = {getattr(obj, key): obj for obj in model.objects.filter(**{f"{key}__in": list(rows)})}
    outcome: dict[str, str] = {}
    new = []
    for value, row in rows.items():
        given = {name: row[name] for name in fields if name in row}
        obj = existing.get(value)
        if obj is None:
            new.append(model(**{key: value}, **given))
            outcome[value] = "created"
            continue
        changed = [name for name, v in given.items() if getattr(obj, name) != v]
        for name in changed:
            setattr(obj, name, given[name])
        if changed:
            obj.save(update_fields=changed)
        outcome[value] = "updated" if changed else "unchanged"
    model.objects.bulk_create(new, batch_size=1000)
    return outcome


def _tally(outcome: dict[str, str]) -> Counts:
    values = list(outcome.values())
    return Counts(values.count("created"), values.count("updated"), values.count("unchanged"))


def _apply_parents(rows: RegisterRows, outcome: dict[str, str]) -> None:
    wanted = {orgno: row["parent"] for orgno, row in rows.organisations.items() if "parent" in row}
    if not wanted:
        return
    ids = dict(
        Organisation.objects.filter(orgno__in={*wanted, *filter(None, wanted.values())}).values_list("orgno", "id")
    )
    current = dict(Organisation.objects.filter(orgno__in=wanted).values_list("orgno", "parent_id"))
    for orgno, parent in wanted.items():
        parent_id = ids[parent] if parent else None
        if current[orgno] != parent_id:
            Organisation.objects.filter(orgno=orgno).update(parent_id=parent_id)
            if outcome[orgno] == "unchanged":
                outcome[orgno] = "updated"


def _party_ids(parties: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    orgs = dict(Organisation.objects.filter(orgno__in={p for p in parties if len(p) == 9}).values_list("orgno", "id"))
    persons = dict(Person.objects.filter(pid__in={p for p in parties if len(p) == 11}).values_list("pid", "id"))
    return orgs, persons


def _apply_links(model, links: list[tuple[str, str, str]], fields: tuple[str, str, str, str]) -> Counts:
    """Create the missing (code, organisation, person-or-organisation) rows of a role or delegation table.

    `fields` names the model's columns: the code, the organisation it is for, the person, the organisation.
    """
    orgs, persons = _party_ids({p for _, of, holder in links for p in (of, holder)})
    wanted = {
        (code, orgs[of], persons.get(holder), orgs.get(holder) if len(holder) == 9 else None)
        for code, of, holder in links
    }
    existing = set(model.objects.filter(**{f"{fields[1]}__in": {w[1] for w in wanted}}).values_list(*fields))
    new = wanted - existing
    model.objects.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in new], batch_size=1000)
    # Bulk inserts send no signals: the firms' lists of clients for the new links (holder, organisation).
    listings.refresh_pairs((row[3], row[1]) for row in new)
    return Counts(created=len(new), unchanged=len(wanted) - len(new))


def _apply_roles(rows: RegisterRows) -> Counts:
    links = [(role, of, holder) for role, holder, of in rows.roles]
    return _apply_links(RoleAssignment, links, ("role_id", "of_id", "holder_person_id", "holder_org_id"))


def _apply_delegations(rows: RegisterRows) -> Counts:
    fields = ("package_id", "from_org_id", "to_person_id", "to_org_id")
    return _apply_links(PackageDelegation, rows.delegations, fields)


@transaction.atomic
def apply_register(rows: RegisterRows, *, actor: str) -> Summary:
    """Write validated register rows (one transaction; only what differs). Audited when anything changed."""
    org_outcome = _upsert_by_key(Organisation, "orgno", rows.organisations, ("name", "form", "email"))
    _apply_parents(rows, org_outcome)
    person_outcome = _upsert_by_key(Person, "pid", rows.persons, ("name", "email"))
    summary = Summary(
        {
            "organisations": _tally(org_outcome),
            "persons": _tally(person_outcome),
            "roles": _apply_roles(rows),
            "delegations": _apply_delegations(rows),
        }
    )
    if summary.changed:
        audit.record("register.imported", actor=actor, object_type="register", data=summary.as_data())
    return summary


def import_register(data: Any, *, actor: str, dry_run: bool = False) -> Summary:
    """Validate and apply a register document, all in one transaction (rolled back when dry_run)."""
    return run_import(validate_register, apply_register, data, actor=actor, dry_run=dry_run)
