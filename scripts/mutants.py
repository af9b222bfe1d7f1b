"""Mutation testing of the security-critical modules: `make mutants` (docs/testing.md).

mutmut changes one line of a module at a time (a `<` for a `<=`, a `True` for a `False`, a string
for another) and runs the tests that call the changed function; a mutant the tests do not notice
"survives": a wrong line there would ship. Each module below runs on its own, in var/mutants/<name>/,
with only the tests that exercise it, within a time bound, one worker by default (the machine is
shared). The results are fresh each run, nothing reused from an earlier one (unless --resume or
--retest).

    make mutants                                  # every module, smallest first
    make mutants MUTANTS="identifiers transitions"
    MUTANTS_MINUTES=10 MUTANTS_JOBS=2 make mutants
    .venv/bin/python scripts/mutants.py transitions --resume   # go on where the time bound stopped
    .venv/bin/python scripts/mutants.py keys --retest          # the survivors again, after new tests
                                                  # (in files already listed for the module)
    .venv/bin/python scripts/mutants.py keys --report          # run nothing: the last results again

Then, to see a survivor: `cd var/mutants/<name> && ../../../.venv/bin/mutmut show <mutant>`.

A survivor that no test can kill because the mutated program behaves the same (an equivalent
mutant) is listed in EQUIVALENT with the reason; it is matched by the line the mutation writes, so
an edit elsewhere in the function does not make the list lie, and one that no longer matches is
reported as a survivor again.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "mutants"
MUTMUT = Path(sys.executable).parent / "mutmut"
# What the tests need next to the code (copied as it is; only the module under test is mutated).
NOT_COPIED = {".git", ".venv", "var", "docs", "bench", "mutants", "db.sqlite3", "node_modules"}


@dataclass
class Module:
    name: str
    files: list[str]  # the files mutated
    tests: list[str]  # the tests run against them
    functions: list[str] = field(default_factory=list)  # only these functions (mutmut names), if given
    about: str = ""


TOKEN_TESTS = [
    "tests/maskinporten/test_token_endpoint.py",
    "tests/maskinporten/test_token_refusals.py",
    "tests/security/test_token_claims.py",
    "tests/security/test_token_signature.py",
    "tests/security/test_token_authorization_details.py",
    "tests/security/test_review_token_input.py",
    "tests/security/test_token_replay.py",
]

# Smallest first. The tests are the ones that exercise the module; mutmut then runs, for each mutant,
# only those of them that call the mutated function.
MODULES = [
    Module(
        "identifiers",
        ["lib/identifiers.py"],
        ["tests/registry/test_identifiers.py"],
        about="organisation and national identity numbers (mod-11, birth date)",
    ),
    Module(
        "redirect-url",
        ["lib/redirect_urls.py"],
        ["tests/lib/test_redirect_urls.py", "tests/api/test_requests.py"],
        about="the redirect-URL rule: scheme, host, port and path equal an allowed URL's",
    ),
    Module(
        "transitions",
        ["approvals/transitions.py"],
        [
            "tests/approvals/test_transitions.py",
            "tests/approvals/test_services.py",
            "tests/approvals/test_agent_change_requests.py",
            "tests/approvals/test_change_requests_page.py",
            "tests/approvals/test_views.py",
            "tests/api/test_requests.py",
            "tests/api/test_change_requests.py",
        ],
        about="who may decide a request or change request; New -> decided once (compare-and-set); time-out",
    ),
    Module(
        "keys",
        ["lib/tokens/keys.py"],
        ["tests/maskinporten/test_signing_keys.py", "tests/maskinporten/test_authentication.py"],
        about="our signing keys: the active one, rotation, the published JWKS",
    ),
    Module(
        "assertion",
        ["maskinporten/assertion.py"],
        [
            "tests/maskinporten/test_assertion.py",
            "tests/security/test_token_signature.py",
            "tests/security/test_review_token_input.py",
            "tests/security/test_review_token_limits.py",
        ],
        about="the client's signed grant (JWT bearer assertion): signature, audience, lifetime, jti",
    ),
    Module(
        "lifecycle",
        ["registry/services/lifecycle.py"],
        ["tests/registry/test_lifecycle_messages.py", "tests/registry/test_lifecycle.py"],
        about="delete a system user, revoke a package or right: authority and compare-and-set",
    ),
    Module(
        "access-tokens",
        ["lib/tokens/access.py"],
        [
            "tests/maskinporten/test_access_tokens.py",
            "tests/maskinporten/test_platform_exchange.py",
            "tests/maskinporten/test_signing_keys.py",
            "tests/maskinporten/test_authentication.py",
            "tests/maskinporten/test_token_endpoint.py",
        ],
        about="the access tokens we sign and check (claims, audience, expiry)",
    ),
    Module(
        "access",
        ["registry/access.py"],
        [
            "tests/registry/test_access.py",
            "tests/registry/test_clients.py",
            "tests/registry/test_clients_own_firm.py",
            "tests/authorization/test_decisions.py",
            "tests/approvals/test_notifications.py",  # access_managers_of
            "tests/approvals/test_agent_change_requests.py",  # clients_lacking
            "tests/portal/test_systemusers_clients_many.py",  # client_roles_giving
            "tests/api/test_requests.py",  # vendor_owns_system
        ],
        about="authority: who may act for an organisation, access managers, delegation checks",
    ),
    Module(
        "portal-access",
        ["portal/access.py", "portal/approvals/pages.py"],
        [
            "tests/portal/test_systemusers_details.py",
            "tests/portal/test_systemusers_clients.py",
            "tests/portal/test_shell.py",
            "tests/security/test_review_deleted_orgs.py",
            "tests/approvals/test_views.py",
            "tests/approvals/test_change_requests_page.py",
        ],
        # portal/access.py whole; of the approval pages, the look-up and the two paths through it
        functions=[
            "xǁNeedRightsǁ__init__",
            "x_person_required",
            "x_actor_required",
            "x_access_system_user",
            "x_access_decidable",
            "x_open_link",
            "x_refused_decision",
        ],
        about="the portal's look-ups: a page's system access or request only for who may see or change it",
    ),
    Module(
        "clients",
        ["registry/services/clients.py", "registry/listings.py"],
        [
            "tests/registry/test_clients.py",
            "tests/registry/test_listings.py",  # the firm's list kept true by every writer
            "tests/api/test_enduser_clients.py",
            "tests/registry/test_clients_own_firm.py",  # the firm itself first (_firm_first)
            "tests/portal/test_systemusers_clients_lists.py",  # search, by role (choosing, eligible)
            "tests/portal/test_systemusers_clients_many.py",  # why missing, add all (candidates)
            "tests/portal/test_list_budgets.py",  # the pages read the list, counted as far as walked_page says
        ],
        about="client eligibility, the firm's list of clients, adding/removing clients of an agent system user",
    ),
    Module(
        "decisions",
        ["authorization/decisions.py"],
        [
            "tests/authorization/test_decisions.py",
            "tests/authorization/test_client_delegation_decisions.py",
            "tests/authorization/test_authorize_api.py",
            "tests/registry/test_clients_own_firm.py",
        ],
        about="the PDP's decision",
    ),
    Module(
        "grants",
        ["maskinporten/grants.py"],
        TOKEN_TESTS,
        about="the token grant: which system user, which scopes and details, replay",
    ),
]

# (function, the line the mutation writes, stripped) -> why no test can tell it from the real code.
_ZIP = "zip() stops at the shorter of digits and weights, so a longer slice reads the same digits"
_CODEC = "codec names are not case-sensitive: ASCII is ascii"
_JOINED = "select_related only saves queries: the rows read are the same (query counts are measured in bench/)"
_UNREACHABLE = (
    "defensive and unreachable: a segment of the base64url alphabet whose length is not 1 mod 4 always decodes"
)
_THUMB = 'canonical = json.dumps(members, separators=(",", ":"), '
_SORTED = (
    "the members are built in sorted order (RSA: e, kty, n; EC: crv, kty, x, y), so sorting them again changes nothing"
)
_PATHS_FIXED = (
    "the paths come from a setting, fixed while a process runs (tests that change it call keys.reset()); "
    "a file's change is still seen by its inode, size and mtime"
)
_INDEX = "the kid index is built again on every call: the same keys (cost only)"
_LAST_PARSE = "the last parse is not remembered: the same string is parsed again, to the same result (cost only)"
_SETDEFAULT = "setdefault() hands back the ring's loader already kept; the new one is thrown away (cost only)"
_HOW_OFTEN = "only how often the files are looked at (a stat per call instead of every RELOAD_CHECK_SECONDS)"
_LOCK = (
    "SQLite ignores select_for_update; on PostgreSQL these are errors, which tests/registry/test_clients.py "
    "catches there (checked)"
)
_ALL_ASSESSED = "all of the firm's clients are assessed and those asked for looked up: the same answer (cost only)"
_PRE_READ = (
    "the clients already there are then refused by the unique constraint, and the fallback keeps only the "
    "new rows: the same rows, audit events and vendor event"
)
_FALLBACK = (
    "unreachable while the read before it is right: adds on one system user are serialised by its row lock "
    "(PostgreSQL) or the single writer (SQLite); the PostgreSQL race tests pass with it broken (checked)"
)
_ONLY_REQUIRED = (
    "only_required reads just the required packages; without it all are read, and the eligible are the "
    "same (what is missing is measured against the required ones): cost only"
)
_LENGTH = (
    "not observable on SQLite, which does not enforce the column's 20 characters; the roles that give a "
    "firm the required packages for one client join to fewer"
)
_SCALAR = (
    "SQLite answers a scalar subquery with its first row whatever the LIMIT; on PostgreSQL two rows are an "
    "error, which test_a_system_user_with_two_granting_packages_and_two_rights_is_permitted catches there"
)
_PICKED = (
    "both callers (_checked, add_each) pick the organisations they asked for out of the answer by org number, so "
    "assessing all of the firm's clients gives the same (cost only: an add of a few clients reads the firm's all)"
)
_REQUIRED_AGAIN = (
    "the required packages given are the system user's own, read by the caller just before: reading them again "
    "gives the same list (one query more, the same at every size)"
)
_TOKENS = (
    "a held token is a package code or code:ROLE; neither codes nor roles contain ':' or start or end with 'X', so "
    "stripping 'X' as well as ',' and splitting at the last ':' instead of the first read the same"
)
_INDEX_ORDER = (
    "the page is read along the index (holder, rank, name, orgno), so rows of one name come in org-number order "
    "without the last sort key too (tests/registry/test_clients.py makes six of one name in the other order)"
)
_BATCH = "the batch size of the insert: how many INSERT statements write the same rows (cost only)"
_RANK = "the firm's own row 0, the others any higher number: the same order"
_HOLDER_TWICE = "the firm's own id twice in an IN list: the same organisations"
_EVERY_ROLE = (
    "the rules of every role instead of the roles the holder holds: _by_roles reads only the holder's own role "
    "assignments (holder_org=holder), so a role it does not hold selects nothing (cost only)"
)
_UNION = "UNION or UNION ALL: the rows are read into a set (held), so duplicates change nothing"
_IN_UNION = (
    "UNION for UNION ALL inside pk IN (...): IN ignores duplicates, so the same rows (the database only removes "
    "them first; checked on SQLite and PostgreSQL)"
)
_ALL_RULES = (
    "all of the holder's rules (or own packages) instead of those of the packages asked about: only the wanted "
    "ones are looked up in them (rule[0] == code, code in own), so the same rows (cost only)"
)
_OTHER_ORGS = (
    "the person's roles (or delegations) for every organisation instead of those asked about and their main "
    "units: only those are looked up in them (cost only)"
)
_OWN_ALL = "all of the firm's own packages instead of the needed ones: only the needed ones are looked up in it"
_NO_SYSTEM_USER = "  # no orgno is empty: no system user"
_PLACEHOLDER = (
    "the system user read with the key is used only when the grant asks for one; with no authorization_details, "
    "or malformed ones (refused before it is used), no placeholder changes the answer (checked on SQLite and "
    "PostgreSQL)"
)
_NOT_SHOWN_404 = "Http404's text is for developers: the portal's 404 page (templates/404.html) shows no exception text"
_NOT_SHOWN_403 = (
    "NeedRights' PermissionDenied text is never shown: actor_required renders the need-rights page from `need`"
)
_NEED_DEFAULT = 'the need-rights page tells only "client_admin" apart; any other `need` is the access manager\'s page'
_REFUSAL_WORDS = (
    "the service's English detail is for the vendor API and the logs: the portal's refusal page is worded by "
    "status and shows the code (templates/approvals/refused.html)"
)
_FAILURES_AGAIN = (
    "without the service's AUTH-00053 items the page checks the delegation again (decision_context) and finds "
    "the same failures: cost only"
)
EQUIVALENT: dict[tuple[str, str], str] = {
    # portal.access, portal.approvals.pages
    ("portal.access.x_access_system_user", "raise Http404(None)"): _NOT_SHOWN_404,
    ("portal.access.x_access_system_user", 'raise Http404("XXSystem access not foundXX")'): _NOT_SHOWN_404,
    ("portal.access.x_access_system_user", 'raise Http404("system access not found")'): _NOT_SHOWN_404,
    ("portal.access.x_access_system_user", 'raise Http404("SYSTEM ACCESS NOT FOUND")'): _NOT_SHOWN_404,
    ("portal.access.xǁNeedRightsǁ__init__", 'def __init__(self, need: str = "XXXX"):'): _NEED_DEFAULT,
    ("portal.access.xǁNeedRightsǁ__init__", "super().__init__(None)"): _NOT_SHOWN_403,
    ("portal.access.xǁNeedRightsǁ__init__", 'super().__init__(need and "access manager")'): _NOT_SHOWN_403,
    ("portal.access.xǁNeedRightsǁ__init__", 'super().__init__(need or "XXaccess managerXX")'): _NOT_SHOWN_403,
    ("portal.access.xǁNeedRightsǁ__init__", 'super().__init__(need or "ACCESS MANAGER")'): _NOT_SHOWN_403,
    ("portal.approvals.pages.x_access_decidable", 'raise ServiceError("AUTH-00041", None, status=403)'): (
        _REFUSAL_WORDS
    ),
    ("portal.approvals.pages.x_refused_decision", "failures=None,"): _FAILURES_AGAIN,
    ("portal.approvals.pages.x_refused_decision", ")"): _FAILURES_AGAIN,  # `failures=failures,` left out
    ("lib.identifiers.x_is_valid_orgno", "return _mod11(value[:9], _ORGNO_WEIGHTS) == int(value[8])"): _ZIP,
    ("lib.identifiers.x_is_valid_pid", "if _mod11(value[:10], _PID_WEIGHTS_1) != int(value[9]):"): _ZIP,
    ("lib.identifiers.x_is_valid_pid", "if _mod11(value[:11], _PID_WEIGHTS_2) != int(value[10]):"): _ZIP,
    ("lib.identifiers.x_is_valid_pid", "if day >= 40:"): "day 40 is refused either way (as day 40 or day 0)",
    ("lib.identifiers.x_is_valid_pid", "if month >= 80:"): "month 80 is refused either way (as 80 or 0)",
    ("lib.identifiers.x_is_valid_pid", "date(2000 if year2 % 4 == 0 else 2002, month, day)"): (
        "2002 is no leap year either: the same dates are valid in 2001 and 2002"
    ),
    ("approvals.transitions.x_time_out", "is_deleted=False, created__lte=model.timeout_cutoff(now)"): (
        "the compare-and-set in the loop checks status=New again: a decided row is listed but never changed"
    ),
    (
        "approvals.transitions.x_time_out",
        "is_deleted=False, status=RequestStatus.NEW, created__lte=model.timeout_cutoff(None)",
    ): ("timeout_cutoff(None) is timeout_cutoff(now) taken microseconds later"),
    (
        "approvals.transitions.x_decide_once",
        ".objects.filter(pk=obj.pk, status=RequestStatus.NEW, is_deleted=False, created__gt=obj.timeout_cutoff(None))",
    ): "timeout_cutoff(None) is timeout_cutoff(now) taken microseconds later",
    ("approvals.transitions.x_vendor_lookup", 'pk = ""'): "None and the empty string are both falsy: not found",
    ("approvals.transitions.x_vendor_lookup", "found = queryset.filter(pk=pk).first() if (pk) or True else None"): (
        "filter(pk=None) finds no row: not found either way"
    ),
    (
        "lib.tokens.keys.x__embedded_default_key",
        "key = rsa.generate_private_key(public_exponent=65537, key_size=2049)",
    ): ("any size of at least 2048 bits is accepted and works alike; 2048 is a choice, not a rule"),
    ("lib.tokens.keys.x__b64url", 'return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ASCII")'): _CODEC,
    ("lib.tokens.keys.x_jwk_thumbprint", _THUMB + 'sort_keys=True).encode("ASCII")'): _CODEC,
    ("lib.tokens.keys.x_jwk_thumbprint", _THUMB + 'sort_keys=None).encode("ascii")'): _SORTED,
    ("lib.tokens.keys.x_jwk_thumbprint", _THUMB + 'sort_keys=False).encode("ascii")'): _SORTED,
    ("lib.tokens.keys.x_jwk_thumbprint", _THUMB + ').encode("ascii")'): _SORTED,
    # parse(): the per-thread memory of the last string parsed (the rate limit and the grant share a parse)
    ("maskinporten.assertion.x_parse", "last = None"): _LAST_PARSE,
    ("maskinporten.assertion.x_parse", 'last = getattr(None, "value", None)'): _LAST_PARSE,
    ("maskinporten.assertion.x_parse", 'last = getattr(_last_parsed, "XXvalueXX", None)'): _LAST_PARSE,
    ("maskinporten.assertion.x_parse", 'last = getattr(_last_parsed, "VALUE", None)'): _LAST_PARSE,
    ("maskinporten.assertion.x_parse", "if last is not None and last[1] is token:"): _LAST_PARSE,
    ("maskinporten.assertion.x_parse", "_last_parsed.value = None"): _LAST_PARSE,
    ("maskinporten.assertion.x__refuse_constant", "raise ValueError(None)"): (
        "the message is not read: strict_json answers every ValueError with 'not valid JSON'"
    ),
    (
        "maskinporten.assertion.x_b64url_decode",
        'return base64.urlsafe_b64decode(segment + "=" * (+len(segment) % 4))',
    ): ("the decoder ignores surplus padding: 3 '=' decode as 1 (and lengths 0 and 2 pad alike)"),
    ("maskinporten.assertion.x_b64url_decode", "raise BadAssertion(None) from None"): _UNREACHABLE,
    ("maskinporten.assertion.x_b64url_decode", 'raise BadAssertion("XXmalformed base64urlXX") from None'): _UNREACHABLE,
    ("maskinporten.assertion.x_b64url_decode", 'raise BadAssertion("MALFORMED BASE64URL") from None'): _UNREACHABLE,
    (
        "maskinporten.assertion.x_strict_json",
        'value = json.loads(data.decode("UTF-8"), object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)',
    ): _CODEC,
    ("maskinporten.assertion.xǁAssertionǁ__init__", 'self.signing_input = f"{parts[0]}.{parts[1]}".encode("ASCII")'): (
        _CODEC
    ),
    (
        "registry.services.lifecycle.x__managed_system_user",
        'system_users = SystemUser.objects.select_related("system__vendor")',
    ): _JOINED,
    (
        "registry.services.lifecycle.x__managed_system_user",
        'system_users = SystemUser.objects.select_related("owner", )',
    ): _JOINED,
    # lib.tokens.keys
    ("lib.tokens.keys.x__file_identity", "identity.append(None)"): _PATHS_FIXED,
    ("lib.tokens.keys.x__file_identity", "identity.append((str(None), None))"): _PATHS_FIXED,
    ("lib.tokens.keys.x__file_identity", "identity.append((str(None), st.st_ino, st.st_size, st.st_mtime_ns))"): (
        _PATHS_FIXED
    ),
    ("lib.tokens.keys.x__by_kid", "index = None"): _INDEX,
    ("lib.tokens.keys.x__by_kid", "index = _kid_index.get(None)"): _INDEX,
    ("lib.tokens.keys.x__by_kid", "if index is None or index[1] is not current:"): _INDEX,
    ("lib.tokens.keys.xǁ_Reloadingǁ__call__", "if state is not None and now + state.checked < RELOAD_CHECK_SECONDS:"): (
        _HOW_OFTEN
    ),
    (
        "lib.tokens.keys.xǁ_Reloadingǁ__call__",
        "if state is not None and now - state.checked <= RELOAD_CHECK_SECONDS:",
    ): (_HOW_OFTEN),
    ("lib.tokens.keys.xǁ_Reloadingǁ__call__", "self.state = _Loaded(None, state.value, now)"): (
        "with no identity kept the next check reads the files again: the same keys after an unchanged check, "
        "and after a failed load the same retry (the identity kept then is the old files', which differs too)"
    ),
    ("lib.tokens.keys.xǁ_Reloadingǁ__call__", "self.state = _Loaded(None, value, now)"): (
        "with no identity kept the next check reads the same files again: the same keys (cost only)"
    ),
    ("lib.tokens.keys.x__loaded", "reloading = None"): _SETDEFAULT,
    ("lib.tokens.keys.x__loaded", "reloading = _rings.get(None)"): _SETDEFAULT,
    # registry.services.clients
    (
        "registry.services.clients.x__agent_system_user",
        'system_users = SystemUser.objects.select_for_update(of=("self",)).select_related("system")',
    ): _JOINED,
    (
        "registry.services.clients.x__agent_system_user",
        'system_users = SystemUser.objects.select_for_update(of=("self",)).select_related("owner", )',
    ): _JOINED,
    (
        "registry.services.clients.x__agent_system_user",
        'system_users = SystemUser.objects.select_for_update(of=None).select_related("owner", "system")',
    ): _LOCK,
    (
        "registry.services.clients.x__agent_system_user",
        'system_users = SystemUser.objects.select_for_update(of=("XXselfXX",)).select_related("owner", "system")',
    ): _LOCK,
    (
        "registry.services.clients.x__agent_system_user",
        'system_users = SystemUser.objects.select_for_update(of=("SELF",)).select_related("owner", "system")',
    ): _LOCK,
    (
        "registry.services.clients.x__checked",
        "c.orgno: c for c in assess(system_user.owner, required, )",
    ): _ALL_ASSESSED,
    (
        "registry.services.clients.x__checked",
        "c.orgno: c for c in assess(system_user.owner, required, orgs=None)",
    ): _ALL_ASSESSED,
    (
        "registry.services.clients.x__insert",
        "ClientDelegation.objects.filter(system_user=system_user, ).values_list(",
    ): _PRE_READ,
    ("registry.services.clients.x__insert", '"client_id", flat=False'): _PRE_READ,
    ("registry.services.clients.x__insert", '"client_id", flat=None'): _PRE_READ,
    ("registry.services.clients.x__insert", "flat=True"): _PRE_READ,
    ("registry.services.clients.x__insert", '"client_id", )'): _PRE_READ,
    (
        "registry.services.clients.x__insert",
        "ClientDelegation.objects.filter(system_user=None, client_id__in=[c.org_id for c in wanted]).values_list(",
    ): _PRE_READ,
    ("registry.services.clients.x__insert", "rows = None"): _FALLBACK,
    ("registry.services.clients.x__insert", "rows = [row for row in rows if _insert_one(None)]"): _FALLBACK,
    ("registry.services.clients.x__insert_one", "row.save(force_insert=None)"): _FALLBACK,
    ("registry.services.clients.x__insert_one", "row.save(force_insert=False)"): _FALLBACK,
    ("registry.services.clients.x__insert_one", "return True"): _FALLBACK,
    ("registry.services.clients.x__insert_one", "return False"): _FALLBACK,
    ("registry.services.clients.x_assess", 'role_code=",".join(sorted(giving))[:21],'): _LENGTH,
    (
        "registry.services.clients.x_assess",
        "for holding in access.holdings_for_clients(facilitator, ).values():",
    ): _PICKED,
    (
        "registry.services.clients.x_assess",
        "for holding in access.holdings_for_clients(facilitator, among=None).values():",
    ): _PICKED,
    ("registry.listings.x__write", "ClientListing.objects.bulk_create(rows, batch_size=None)"): _BATCH,
    ("registry.listings.x__write", "ClientListing.objects.bulk_create(rows, )"): _BATCH,
    ("registry.listings.x__write", "ClientListing.objects.bulk_create(rows, batch_size=1001)"): _BATCH,
    ("registry.listings.x__write", "rank=0 if h.org_id == holder.pk else 2,"): _RANK,
    (
        "registry.listings.x__write",
        "ids = None if ids is None else [*ids, *([] if (holder.pk in ids) and False else [holder.pk])]",
    ): _HOLDER_TWICE,
    ("registry.listings.x_held", 'for token in row.held.strip("XX,XX").split(","):'): _TOKENS,
    ("registry.listings.x_held", 'code, _, role = token.rpartition(":")'): _TOKENS,
    ("registry.services.clients.x__listed", 'return rows.exclude(client_id__in=added).order_by("rank", "name", )'): (
        _INDEX_ORDER
    ),
    (
        "registry.services.clients.x_eligible",
        "required = required_packages(system_user) if (required is None) or True else required",
    ): _REQUIRED_AGAIN,
    (
        "registry.services.clients.x_not_qualifying",
        "required = required_packages(system_user) if (required is None) or True else required",
    ): _REQUIRED_AGAIN,
    (
        "registry.services.clients.x_eligible_clients",
        "return candidates(eligible(system_user, query=query, required=None), required)",
    ): _REQUIRED_AGAIN,
    (
        "registry.services.clients.x_eligible_clients",
        "return candidates(eligible(system_user, query=query, ), required)",
    ): _REQUIRED_AGAIN,
    # maskinporten.grants
    ("maskinporten.grants.x__maybe_purge_used_grants", "if now + _last_purge < PURGE_INTERVAL_SECONDS:"): (
        "only how often expired used grants are purged (every request instead of once a minute): cost only"
    ),
    ("maskinporten.grants.x__maybe_purge_used_grants", "if now - _last_purge <= PURGE_INTERVAL_SECONDS:"): (
        "only how often expired used grants are purged (a boundary of the once-a-minute interval)"
    ),
    ("maskinporten.grants.x__client_key", 'owner_orgno, external_ref = wanted or ("XXXX", "")' + _NO_SYSTEM_USER): (
        _PLACEHOLDER
    ),
    ("maskinporten.grants.x__client_key", 'owner_orgno, external_ref = wanted or ("", "XXXX")' + _NO_SYSTEM_USER): (
        _PLACEHOLDER
    ),
    (
        "maskinporten.grants.x__key_and_system_user",
        'found = system_user.order_by().values(found=JSONObject(id="id", system_id="system__system_id"))[:2]',
    ): (
        "at most one system user matches: a client id is on one system (SystemClient.client_id unique), an "
        "orgno is one organisation, and a live system user is unique per owner, system and externalRef; so "
        "LIMIT 2 never meets a second row (checked on PostgreSQL, where a second row would be an error)"
    ),
    (
        "maskinporten.grants.x__key_and_system_user",
        "return ClientKey.objects.for_grant(client_id, kid).annotate(system_user=Subquery(found))[:2]",
    ): (
        "a client's kid is unique (clientkey_unique_kid): the key is one row or none either way (checked on PostgreSQL)"
    ),
    # registry.access
    ("registry.access.x_holdings_for_clients", "for code in own_packages(holder, None):"): _ONLY_REQUIRED,
    ("registry.access.x_holdings_for_clients", "for code in own_packages(holder, ):"): _ONLY_REQUIRED,
    (
        "registry.access.x_own_packages",
        'rules = RolePackage.objects.filter(has_access=True, ).exclude(role__legacy_code="")',
    ): (
        "legacy_code is never NULL: the catalogue stores '' for a role outside ER (registry/catalog.py), which the "
        "exclude() leaves out"
    ),
    ("registry.access.x__any_of", "return Q(pk__in=first.union(*rest, all=False) if rest else first)"): _IN_UNION,
    ("registry.access.x__any_of", "return Q(pk__in=first.union(*rest, all=None) if rest else first)"): _IN_UNION,
    ("registry.access.x__any_of", "return Q(pk__in=first.union(*rest, ) if rest else first)"): _IN_UNION,
    ("registry.access.x__any_of", "return Q(pk__in=first.union(*rest, all=True) if (rest) or True else first)"): (
        "a single select: Django's union() with no other query returns the query itself, so the same SQL"
    ),
    ("registry.access.x_holds_every", "rules = _giving_rules(holder, None)"): _ALL_RULES,
    ("registry.access.x_holds_every", "own = own_packages(holder, None) if not holder.is_deleted else set()"): (
        _ALL_RULES
    ),
    ("registry.access.x_holds_every", "own = own_packages(holder, ) if not holder.is_deleted else set()"): _ALL_RULES,
    (
        "registry.access.x__giving_rules",
        "rules = RolePackage.objects.filter(has_access=True, package_id__in=packages)",
    ): _EVERY_ROLE,
    (
        "registry.access.x__giving_rules",
        "rules = RolePackage.objects.filter(has_access=True, role_id__in=held, )",
    ): _ALL_RULES,
    (
        "registry.access.x_acting_bases",
        "roles = RoleAssignment.objects.filter(holder_person=person, of__is_deleted=False)",
    ): _OTHER_ORGS,
    (
        "registry.access.x_acting_bases",
        "delegations = PackageDelegation.objects.filter(to_person=person, from_org__is_deleted=False)",
    ): _OTHER_ORGS,
    (
        "registry.access.x_acting_bases",
        "inherited = [replace(basis, via_main_unit=True) for basis in own.get(parent, [])] if (parent) or True else []",
    ): ("own.get(None, []) is []: no organisation's id is None, so a main unit inherits nothing either way"),
    (
        "registry.access.x_access_system_user",
        "require(person, None, may, authority=authority)  # read once: may_act_for, then packages",
    ): (
        "require() reads the organisation only to build an Authority when none is passed; here one always is for a "
        "person, and for operator staff (None) it returns before"
    ),
    (
        "registry.access.x_main_unit_ids",
        "return [org.pk] if (org.parent_id is None) and False else [org.pk, org.parent_id]",
    ): (
        "a main unit's list gains None; every caller uses it in an __in look-up, from which Django drops None (NULL "
        "equals nothing): the same rows (checked on SQLite and PostgreSQL)"
    ),
    # authorization.decisions
    (
        "authorization.decisions.x_decide_all",
        "def decide_all(questions: list[Question], *, explain: bool = True) -> list[Decision]:",
    ): ("every caller passes explain (the PDP view): the default is never used"),
    (
        "authorization.decisions.x__decide_standard",
        '**({"systemUserOrg": row["owner__orgno"]} if (explain) or True else {}),',
    ): ("costs no query, and the facts are rendered only with ?explain=true (xacml.render)"),
    ("authorization.decisions.x__decision_queryset", '.values("package_id")[:2]'): _SCALAR,
    ("authorization.decisions.x__decision_queryset", '.values("action")[:2]'): _SCALAR,
    ("authorization.decisions.x__facilitator_grants_queryset", "return by_role.union(by_delegation, all=None)"): _UNION,
    ("authorization.decisions.x__facilitator_grants_queryset", "return by_role.union(by_delegation, )"): _UNION,
    (
        "authorization.decisions.x__facilitator_grants_queryset",
        "return by_role.union(by_delegation, all=False)",
    ): _UNION,
    (
        "authorization.decisions.x__standard_facts",
        'rights = SystemUserRight.objects.filter(system_user_id=system_user_id).order_by("resource_id", )',
    ): (
        "SQLite and PostgreSQL both read the rights through the unique index (system user, resource, action), "
        "so they come in action order anyway (checked on both); the order_by makes it a promise"
    ),
    ("authorization.decisions.x__decide_agent", "held = access.own_packages(client, set(needed))"): (
        "the firm as its own client: an organisation holds no role in itself and delegates nothing to itself, "
        "so the set replaced is empty"
    ),
    ("authorization.decisions.x__decide_agent", "held |= access.own_packages(client, None)"): _OWN_ALL,
    ("authorization.decisions.x__decide_agent", "held |= access.own_packages(client, )"): _OWN_ALL,
}


def workdir(module: Module) -> Path:
    return WORK / module.name


def prepare(module: Module) -> Path:
    """A fresh var/mutants/<name>/ with links to the project and the module's mutmut configuration."""
    here = workdir(module)
    shutil.rmtree(here, ignore_errors=True)
    here.mkdir(parents=True)
    tops = sorted({Path(f).parts[0] for f in module.files})
    copied = []
    for entry in sorted(ROOT.iterdir()):
        if entry.name in NOT_COPIED or entry.name.startswith("."):
            continue
        (here / entry.name).symlink_to(entry)
        if entry.name not in tops and entry.name != "tests":  # mutmut copies tests/ and the sources itself
            copied.append(entry.name)
    lines = ["[mutmut]", "source_paths=", *[f"    {t}" for t in tops]]
    lines += ["only_mutate=", *[f"    {f}" for f in module.files]]
    lines += ["also_copy=", *[f"    {c}" for c in copied]]
    lines += ["pytest_add_cli_args_test_selection=", *[f"    {t}" for t in module.tests]]
    # --no-migrations: the test database straight from the models (there are no data migrations; `make
    # test` checks the migrations), which saves seconds per mutant. tests/mutants_plugin.py: compiled
    # queries are built again in each test, so a mutant of a query builder is run (see there).
    cli = ["-p", "no:cacheprovider", "-p", "tests.mutants_plugin", "--no-migrations"]
    lines += ["pytest_add_cli_args=", *[f"    {arg}" for arg in cli]]
    lines += ["use_git_change_detection=false", ""]
    (here / "setup.cfg").write_text("\n".join(lines))
    return here


def mutmut(here: Path, *args: str, timeout: float | None = None, log=None) -> subprocess.CompletedProcess:
    """Run mutmut in `here`; at the time bound (or Ctrl-C) its whole process group goes, the forked
    workers included, and TimeoutExpired (or KeyboardInterrupt) is raised."""
    # The embedded SQLite, whatever the shell says: one test database per mutant on a shared PostgreSQL
    # would be slow and collide. (The race tests, which need PostgreSQL, are not run here.)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REQUIRE_SERVICES"}}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [str(MUTMUT), *args]
    out = log or subprocess.PIPE
    with subprocess.Popen(
        command, cwd=here, env=env, stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True
    ) as process:
        try:
            stdout, _ = process.communicate(timeout=timeout)
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
    return subprocess.CompletedProcess(command, process.returncode, stdout)


def results(here: Path, module: Module) -> dict[str, str]:
    """mutant name -> status (killed, survived, no tests, timeout, ...), for the module's functions."""
    out = mutmut(here, "results", "--all", "true").stdout
    found = {}
    for line in out.splitlines():
        m = re.fullmatch(r"\s*(\S+): (.+)", line)
        if not m:
            continue
        name, status = m.groups()
        function = name.rsplit("__mutmut_", 1)[0].rsplit(".", 1)[-1]
        if module.functions and function not in module.functions:
            continue
        found[name] = status.strip()
    return found


def mutated_line(here: Path, name: str) -> str:
    """The first line the mutant adds, stripped (what EQUIVALENT matches on)."""
    diff = mutmut(here, "show", name).stdout
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    return added[0] if added else ""


def run(module: Module, minutes: float, jobs: int, mode: str = "fresh") -> dict:
    """mode: "fresh" (a new run), "resume" (go on where the time bound stopped), "retest" (the last run's
    survivors again, against the tests as they are now: mutmut copies tests/ anew), "report" (no run: the
    last run's results, with EQUIVALENT as it is now)."""
    earlier = (workdir(module) / "mutants").is_dir()
    if mode == "report" and not earlier:
        sys.exit(f"{module.name}: no earlier run in {workdir(module)}")
    here = workdir(module) if mode != "fresh" and earlier else prepare(module)
    started = time.monotonic()
    dotted = [Path(f).with_suffix("").as_posix().replace("/", ".") for f in module.files]
    names = [f"{d}.{function}__mutmut_*" for d in dotted for function in module.functions]
    if mode == "retest" and earlier:
        names = [name for name, status in results(here, module).items() if status in {"survived", "no tests"}]
    complete = True
    if mode == "report":
        complete = earlier
    elif names or mode != "retest":
        with open(here / "run.log", "a") as log:
            try:
                finished = mutmut(here, "run", "--max-children", str(jobs), *names, timeout=minutes * 60, log=log)
                complete = finished.returncode == 0
            except subprocess.TimeoutExpired:
                complete = False
    found = results(here, module)
    counts: dict[str, int] = {}
    survivors, equivalent = [], []
    for name, status in sorted(found.items()):
        if status in {"survived", "no tests"}:
            function, line = name.rsplit("__mutmut_", 1)[0], mutated_line(here, name)
            reason = EQUIVALENT.get((function, line))
            if reason:
                equivalent.append((name, reason))
                status = "equivalent"
            else:
                survivors.append((name, status, line))
        counts[status] = counts.get(status, 0) + 1
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    judged = killed + len(survivors)
    return {
        "module": module,
        "seconds": time.monotonic() - started,
        "complete": complete and "not checked" not in counts,
        "counts": counts,
        "killed": killed,
        "judged": judged,
        "score": 100.0 * killed / judged if judged else 0.0,
        "survivors": survivors,
        "equivalent": equivalent,
    }


def report(outcome: dict) -> None:
    module = outcome["module"]
    counts = ", ".join(f"{n} {s}" for s, n in sorted(outcome["counts"].items()))
    state = "" if outcome["complete"] else " (NOT COMPLETE: the time bound stopped it, see run.log)"
    print(
        f"{module.name}: {outcome['killed']}/{outcome['judged']} killed = {outcome['score']:.1f} %"
        f" [{counts}] in {outcome['seconds']:.0f} s{state}"
    )
    for name, status, line in outcome["survivors"]:
        print(f"    {status}: {name}  ->  {line}")
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="names (default: all): " + " ".join(m.name for m in MODULES))
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("MUTANTS_MINUTES") or 8))
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTANTS_JOBS") or 1))
    parser.add_argument(
        "--resume", action="store_true", help="go on with a run the time bound stopped (same code, same tests)"
    )
    parser.add_argument("--retest", action="store_true", help="run the last run's survivors again (new tests)")
    parser.add_argument("--report", action="store_true", help="run nothing: the last run's results again")
    args = parser.parse_args()
    by_name = {m.name: m for m in MODULES}
    unknown = [n for n in args.modules if n not in by_name]
    if unknown:
        parser.error(f"unknown module(s) {unknown}; known: {', '.join(by_name)}")
    selected = [by_name[n] for n in args.modules] or MODULES
    worst = 100.0
    for module in selected:
        mode = "report" if args.report else "retest" if args.retest else "resume" if args.resume else "fresh"
        outcome = run(module, args.minutes, args.jobs, mode)
        report(outcome)
        worst = min(worst, outcome["score"] if outcome["complete"] else 0.0)
    return 0 if worst >= 90.0 else 1


if __name__ == "__main__":
    sys.exit(main())
