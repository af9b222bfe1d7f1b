"""The XACML 3.0 JSON-profile subset of CONTRACT §3: parse a request body into decision questions,
and render decisions as a response.

Parsing is strict about what decides access (subject, action, resource, party) and lenient about
the rest (XACML options such as `ReturnPolicyIdList`, `Environment`, extra resource attributes are
ignored), so an Altinn-shaped request works unchanged. Every shape error raises `XacmlError` with a
JSON pointer to the offending member; the view turns it into a 400 problem — never a decision.
"""

import uuid
from dataclasses import dataclass

from lib.identifiers import is_valid_orgno
from lib.unstorable import unstorable

SYSTEMUSER_UUID = "urn:altinn:systemuser:uuid"
ACTION_ID = "urn:oasis:names:tc:xacml:1.0:action:action-id"
RESOURCE_ID = "urn:altinn:resource"
PARTY_ORGNO = "urn:altinn:organization:identifier-no"
PARTY_UUID = "urn:altinn:party:uuid"
STATUS_OK = "urn:oasis:names:tc:xacml:1.0:status:ok"

CATEGORIES = ("accesssubject", "action", "resource")
MAX_REQUESTS = 100  # one HTTP call may ask at most this many questions (bounded work per call)


class XacmlError(ValueError):
    def __init__(self, detail: str, path: str):
        super().__init__(detail)
        self.detail = detail
        self.path = path


@dataclass(frozen=True)
class Question:
    """One decision request: may system user `system_user_id` do `action` on `resource` for the party?"""

    system_user_id: uuid.UUID
    action: str
    resource: str
    party_orgno: str | None = None
    party_uuid: uuid.UUID | None = None


def _members(obj: object, path: str) -> dict:
    """The object's members with lower-cased names (CONTRACT: names match case-insensitively)."""
    if not isinstance(obj, dict):
        raise XacmlError("Expected a JSON object", path)
    out: dict = {}
    for key, value in obj.items():
        if key.lower() in out:
            raise XacmlError(f"Member {key!r} is given twice", path)
        out[key.lower()] = value
    return out


def _as_list(value: object, path: str) -> list:
    """XACML JSON lets a single category or attribute be given as an object instead of a list."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and value:
        return value
    raise XacmlError("Expected a non-empty list of objects", path)


@dataclass(frozen=True)
class _Category:
    id: str | None
    attributes: dict[str, str]  # lower-cased AttributeId → value
    path: str


def _category(obj: object, path: str) -> _Category:
    members = _members(obj, path)
    category_id = members.get("id")
    if category_id is not None and not isinstance(category_id, str):
        raise XacmlError("Id must be a string", f"{path}/Id")
    attributes: dict[str, str] = {}
    for i, attribute in enumerate(_as_list(members.get("attribute"), f"{path}/Attribute")):
        apath = f"{path}/Attribute/{i}"
        attr = _members(attribute, apath)
        attribute_id, value = attr.get("attributeid"), attr.get("value")
        if not isinstance(attribute_id, str) or not attribute_id:
            raise XacmlError("AttributeId must be a non-empty string", f"{apath}/AttributeId")
        if not isinstance(value, str) or not value.strip():
            raise XacmlError("Value must be a non-empty string", f"{apath}/Value")
        if unstorable(value) or unstorable(attribute_id):  # would fail in the database, not be answered
            raise XacmlError("The value contains characters that are not allowed", f"{apath}/Value")
        key = attribute_id.lower()
        if key in attributes:
            raise XacmlError(f"Attribute {attribute_id} is given twice", apath)
        attributes[key] = value.strip()
    return _Category(category_id, attributes, path)


def _subject(category: _Category) -> uuid.UUID:
    value = category.attributes.get(SYSTEMUSER_UUID)
    if value is None:
        raise XacmlError(f"The subject must be a system user ({SYSTEMUSER_UUID})", category.path)
    if len(category.attributes) > 1:
        others = sorted(k for k in category.attributes if k != SYSTEMUSER_UUID)
        raise XacmlError(
            "The system user subject must stand alone; remove the other subject attributes: " + ", ".join(others),
            category.path,
        )
    try:
        return uuid.UUID(value)
    except ValueError:
        raise XacmlError("The system user id is not a UUID", f"{category.path}/Attribute") from None


def _action(category: _Category) -> str:
    value = category.attributes.get(ACTION_ID)
    if value is None:
        raise XacmlError(f"The action needs the attribute {ACTION_ID}", category.path)
    return value


def _resource(category: _Category) -> tuple[str, str | None, uuid.UUID | None]:
    resource = category.attributes.get(RESOURCE_ID)
    if resource is None:
        raise XacmlError(f"The resource needs the attribute {RESOURCE_ID}", category.path)
    orgno, party_uuid = category.attributes.get(PARTY_ORGNO), category.attributes.get(PARTY_UUID)
    if (orgno is None) == (party_uuid is None):
        raise XacmlError(f"The resource needs exactly one party: {PARTY_ORGNO} or {PARTY_UUID}", category.path)
    if orgno is not None:
        if not is_valid_orgno(orgno):
            raise XacmlError("The organisation number is not valid (9 digits, mod-11)", category.path)
        return resource, orgno, None
    try:
        return resource, None, uuid.UUID(party_uuid)
    except ValueError:
        raise XacmlError("The party uuid is not a UUID", category.path) from None


def _question(subject: _Category, action: _Category, resource: _Category) -> Question:
    resource_id, orgno, party_uuid = _resource(resource)
    return Question(_subject(subject), _action(action), resource_id, orgno, party_uuid)


def parse(body: object) -> list[Question]:
    """The questions in a request body, in order (one for a single request, one per RequestReference)."""
    top = _members(body, "")
    request = _members(top.get("request"), "/Request")
    categories: dict[str, list[_Category]] = {}
    names = {"accesssubject": "AccessSubject", "action": "Action", "resource": "Resource"}
    for key in CATEGORIES:
        path = f"/Request/{names[key]}"
        categories[key] = [_category(c, f"{path}/{i}") for i, c in enumerate(_as_list(request.get(key), path))]
    multi = request.get("multirequests")
    if multi is None:
        for key in CATEGORIES:
            if len(categories[key]) != 1:
                raise XacmlError(f"Give one {names[key]} per request, or use MultiRequests", f"/Request/{names[key]}")
        return [_question(categories["accesssubject"][0], categories["action"][0], categories["resource"][0])]
    return _multi(multi, categories, names)


def _multi(multi: object, categories: dict[str, list[_Category]], names: dict[str, str]) -> list[Question]:
    by_id: dict[str, tuple[str, _Category]] = {}
    for key in CATEGORIES:
        for category in categories[key]:
            if category.id is None:
                raise XacmlError("Every category needs an Id with MultiRequests", category.path)
            if category.id in by_id:
                raise XacmlError(f"The Id {category.id!r} is used twice", category.path)
            by_id[category.id] = (key, category)
    references = _as_list(_members(multi, "/Request/MultiRequests").get("requestreference"), "/Request/MultiRequests")
    if len(references) > MAX_REQUESTS:
        raise XacmlError(f"At most {MAX_REQUESTS} requests per call", "/Request/MultiRequests/RequestReference")
    questions = []
    for i, reference in enumerate(references):
        path = f"/Request/MultiRequests/RequestReference/{i}"
        ids = _members(reference, path).get("referenceid")
        if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
            raise XacmlError("ReferenceId must be a list of category Ids", f"{path}/ReferenceId")
        picked: dict[str, _Category] = {}
        for ref in ids:
            if ref not in by_id:
                raise XacmlError(f"No category has the Id {ref!r}", f"{path}/ReferenceId")
            key, category = by_id[ref]
            if key in picked:
                raise XacmlError(f"The reference names two {names[key]} categories", f"{path}/ReferenceId")
            picked[key] = category
        missing = [names[k] for k in CATEGORIES if k not in picked]
        if missing:
            raise XacmlError("The reference lacks " + ", ".join(missing), f"{path}/ReferenceId")
        questions.append(_question(picked["accesssubject"], picked["action"], picked["resource"]))
    return questions


def render(decisions: list, *, explain: bool) -> dict:
    """`{"Response": [...]}`, one result per decision in order; with `explain`, an `Explanation` member."""
    results = []
    for decision in decisions:
        result = {"Decision": decision.decision, "Status": {"StatusCode": {"Value": STATUS_OK}}}
        if explain:
            result["Explanation"] = decision.explanation()
        results.append(result)
    return {"Response": results}
