from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import HttpResponse
from django.test import RequestFactory

from lib.identifiers import grouped_orgno
from portal.access import actor_required
from portal.actor import ACTOR_SESSION_KEY, switch_actor
from portal.middleware import ActorMiddleware
from registry.models import RoleAssignment
from tests import factories as f
from tests.portal.conftest import choose


def test_a_person_acts_for_an_organisation_they_hold_a_role_for(login, manager, customer):
    client = login(manager)
    response = choose(client, customer)
    assert response.status_code == 302
    assert response["Location"] == "/systemuser/"
    assert client.session[ACTOR_SESSION_KEY] == customer.orgno
    page = client.get("/actor/").content.decode()
    assert f"for {customer.name}, org.nr. {grouped_orgno(customer.orgno)}" in page  # "310 000 000"
    assert f"Du representerer nå {customer.name}." in page


def test_a_delegated_package_is_enough_to_act_for_the_organisation(login, employee, customer):
    client = login(employee)
    assert customer.name in client.get("/actor/").content.decode()
    assert choose(client, customer).status_code == 302
    assert client.session[ACTOR_SESSION_KEY] == customer.orgno


def test_the_choice_returns_to_the_page_the_person_came_from(login, manager, customer):
    client = login(manager)
    response = choose(client, customer, next="/systemuser/request?id=42")
    assert response["Location"] == "/systemuser/request?id=42"


def test_the_choice_never_redirects_off_the_site(login, manager, customer):
    client = login(manager)
    response = choose(client, customer, next="https://evil.example/")
    assert response["Location"] == "/systemuser/"


def test_an_organisation_without_a_relation_is_refused_and_nothing_changes(login, manager, customer, vendor):
    client = login(manager)
    choose(client, customer)
    response = choose(client, vendor)
    assert response.status_code == 403
    page = response.content.decode()
    assert f"Du kan ikke representere virksomheten med organisasjonsnummer {vendor.orgno}." in page
    assert client.session[ACTOR_SESSION_KEY] == customer.orgno
    assert f"for {customer.name}" in page


def test_an_unknown_organisation_number_gets_the_same_refusal(login, manager, customer):
    client = login(manager)
    response = client.post("/actor/", {"orgno": f.next_orgno()})
    assert response.status_code == 403
    assert "Du har ingen rolle eller tilgang der." in response.content.decode()
    assert client.session[ACTOR_SESSION_KEY] == customer.orgno  # unchanged


def test_a_malformed_organisation_number_is_a_clear_error(login, manager, customer):
    client = login(manager)
    for bad in ["", "12345", "abc", "310000001' OR 1=1"]:
        response = client.post("/actor/", {"orgno": bad})
        assert response.status_code == 400
        assert "Det mangler et gyldig organisasjonsnummer." in response.content.decode()
    assert client.session[ACTOR_SESSION_KEY] == customer.orgno  # unchanged


def test_a_deleted_organisation_is_neither_listed_nor_accepted(login, manager, customer):
    customer.is_deleted = True
    customer.save(update_fields=["is_deleted"])
    client = login(manager)
    assert customer.name not in client.get("/actor/").content.decode()
    assert choose(client, customer).status_code == 403


def test_a_person_with_no_organisations_is_told_why_and_whom_to_ask(login, outsider):
    client = login(outsider)
    page = client.get("/actor/").content.decode()
    assert "Du kan ikke representere noen virksomhet ennå" in page
    assert "Be daglig leder eller tilgangsstyreren i virksomheten om å gi deg tilgang." in page
    assert 'type="search"' not in page


def _accountant_with_clients(count: int):
    person = f.make_person("Regine Regnskap")
    orgs = [f.make_org(f"Klient {i:02d} AS") for i in range(count)]
    for org in orgs:
        f.give_role(person, "DAGL", org)
    return person, orgs


def test_a_person_with_many_organisations_finds_one_by_name(login, db):
    person, orgs = _accountant_with_clients(30)
    client = login(person)
    page = client.get("/actor/").content.decode()
    assert "Du kan representere 30 virksomheter." in page
    page = client.get("/actor/", {"q": "klient 17"}).content.decode()
    assert "1 virksomhet passer søket." in page
    assert "Klient 17 AS" in page
    assert "Klient 16 AS" not in page


def test_a_person_finds_an_organisation_by_number_also_with_spaces(login, db):
    person, orgs = _accountant_with_clients(5)
    client = login(person)
    target = orgs[3].orgno
    page = client.get("/actor/", {"q": f"{target[:3]} {target[3:6]} {target[6:]}"}).content.decode()
    assert orgs[3].name in page
    assert orgs[2].name not in page


def test_a_search_that_matches_nothing_says_so(login, manager):
    client = login(manager)
    page = client.get("/actor/", {"q": "finnes ikke"}).content.decode()
    assert "0 virksomheter passer søket." in page
    assert "Ingen av virksomhetene dine passer søket." in page


def test_the_search_never_shows_organisations_the_person_cannot_act_for(login, manager, vendor):
    client = login(manager)
    for query in (vendor.name, vendor.orgno):
        page = client.get("/actor/", {"q": query}).content.decode()
        assert "0 virksomheter passer søket." in page
        assert f'name="orgno" value="{vendor.orgno}"' not in page


def test_the_live_search_returns_only_the_results_fragment(login, db):
    person, orgs = _accountant_with_clients(3)
    client = login(person)
    response = client.get("/actor/", {"q": "klient 01"}, headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert "Klient 01 AS" in fragment and "Klient 02 AS" not in fragment
    assert 'id="org-count" hx-swap-oob="innerHTML"' in fragment
    assert "1 virksomhet passer søket." in fragment
    assert "HX-Request" in response["Vary"]


def test_a_long_list_is_cut_and_the_person_is_told_to_search(login, db):
    person, orgs = _accountant_with_clients(55)
    client = login(person)
    page = client.get("/actor/").content.decode()
    assert "Viser de 50 første. Søk for å finne de andre." in page
    assert page.count('name="orgno"') == 50
    assert "Klient 54 AS" in client.get("/actor/", {"q": "klient 54"}).content.decode()


def test_the_act_for_page_needs_a_bounded_number_of_queries(login, db, django_assert_max_num_queries):
    person, orgs = _accountant_with_clients(30)
    client = login(person)
    choose(client, orgs[0])
    # session, user, person, actor check (2), count, list, recent, why (roles, delegations)
    with django_assert_max_num_queries(10):
        response = client.get("/actor/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Du kan representere 30 virksomheter." in page  # the whole page, not a cheap error
    assert page.count('name="orgno"') == 30 + 1 and "Klient 29 AS" in page  # and once under "Sist brukt"
    assert page.count("Daglig leder") == 30 + 1


def test_the_act_for_page_stays_bounded_for_a_person_with_500_organisations(login, db, django_assert_max_num_queries):
    person, orgs = _accountant_with_clients(500)
    for org in orgs[:5]:
        f.delegate_package("lonn", from_org=org, to=person)
    for i, org in enumerate(orgs[:3]):
        f.make_org(f"Klient {i:02d} AS avd. Sentrum", parent=org)
    client = login(person)
    for org in orgs[:8]:
        choose(client, org)
    with django_assert_max_num_queries(10):
        response = client.get("/actor/")
    page = response.content.decode()
    assert "Du kan representere 503 virksomheter." in page
    assert page.count('name="orgno"') == 50 + 5  # the first 50, and the five most recent
    assert "Daglig leder, Tilgangspakken «Lønn»" in page
    assert "Daglig leder i hovedenheten" in page


def test_a_removed_role_drops_the_actor_at_the_next_request(login, manager, customer):
    client = login(manager)
    choose(client, customer)
    RoleAssignment.objects.filter(holder_person=manager, of=customer).delete()
    page = client.get("/actor/").content.decode()
    assert ACTOR_SESSION_KEY not in client.session
    assert f"Du kan ikke lenger representere {customer.name}." in page
    assert "Ingen virksomhet valgt" in page
    assert f'name="orgno" value="{customer.orgno}"' not in page


def test_a_page_that_needs_an_organisation_sends_a_person_whose_role_was_removed_to_choose_again(
    login, manager, customer
):
    client = login(manager)
    choose(client, customer)
    RoleAssignment.objects.filter(holder_person=manager, of=customer).delete()
    response = _protected_view(_request(client, "/some/page/"))
    assert response["Location"] == "/actor/?next=%2Fsome%2Fpage%2F"


def test_the_header_says_when_no_organisation_is_chosen(login, manager):
    f.give_role(manager, "DAGL", f.make_org("Annen Bedrift AS"))
    page = login(manager).get("/actor/").content.decode()
    assert manager.name in page
    assert "Ingen virksomhet valgt" in page
    assert "Velg virksomhet" in page


def test_the_act_for_page_needs_login(client, db):
    response = client.get("/actor/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/actor/"


@actor_required
def _protected_view(request):
    return HttpResponse(f"acting for {request.actor.orgno}")


def _request(client, path):
    """Run the real middleware stack for `path` with the client's session, and return the request."""
    request = RequestFactory().get(path)
    request.session = client.session
    request.user = _user(client)
    request._messages = FallbackStorage(request)
    ActorMiddleware(lambda r: None)(request)
    return request


def _user(client):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser

    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else AnonymousUser()


def test_a_page_that_needs_an_organisation_asks_for_login_first(client, db):
    response = _protected_view(_request(client, "/some/page/?x=1"))
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/some/page/%3Fx%3D1"


def test_a_page_that_needs_an_organisation_asks_for_one_and_comes_back(login, manager, customer):
    f.give_role(manager, "DAGL", f.make_org("Annen Bedrift AS"))
    client = login(manager)
    response = _protected_view(_request(client, "/some/page/"))
    assert response["Location"] == "/actor/?next=%2Fsome%2Fpage%2F"
    page = client.get(response["Location"]).content.decode()
    assert 'name="next" value="/some/page/"' in page
    assert choose(client, customer, next="/some/page/")["Location"] == "/some/page/"
    response = _protected_view(_request(client, "/some/page/"))
    assert response.content.decode() == f"acting for {customer.orgno}"


def _request_for(person):
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.person = person
    request.actor = None
    return request


def test_switch_actor_switches_only_to_an_organisation_the_person_may_act_for(manager, customer, vendor):
    request = _request_for(manager)
    assert switch_actor(request, vendor) is False
    assert request.actor is None and ACTOR_SESSION_KEY not in request.session
    assert switch_actor(request, None) is False
    assert switch_actor(request, customer) is True
    assert request.actor == customer
    assert request.session[ACTOR_SESSION_KEY] == customer.orgno


def test_switch_actor_refuses_when_nobody_is_logged_in(customer):
    assert switch_actor(_request_for(None), customer) is False


def test_logging_in_as_someone_else_forgets_the_previous_choice(login, manager, customer, outsider):
    client = login(manager)
    choose(client, customer)
    login(outsider)
    assert ACTOR_SESSION_KEY not in client.session
    assert customer.name not in client.get("/actor/").content.decode()


def test_a_staff_user_without_a_person_is_told_so(client, django_user_model):
    staff = django_user_model.objects.create_user("operator", is_staff=True)
    client.force_login(staff)
    response = client.get("/actor/")
    assert response.status_code == 403
    assert "Ingen person knyttet til brukeren" in response.content.decode()


def test_the_search_folds_case_for_norwegian_letters(login, db):
    person = f.make_person("Øyvind Øst")
    for name in ("Østfold Bygg AS", "Ærlig Regnskap AS", "Bakeriet AS"):
        f.give_role(person, "DAGL", f.make_org(name))
    client = login(person)
    for query, name in (
        ("østfold", "Østfold Bygg AS"),
        ("ØSTFOLD BYGG", "Østfold Bygg AS"),
        ("ærlig", "Ærlig Regnskap AS"),
    ):
        page = client.get("/actor/", {"q": query}).content.decode()
        assert "1 virksomhet passer søket." in page, query
        assert name in page


def test_a_person_with_exactly_one_organisation_goes_straight_to_it_after_login(client, manager, customer):
    response = client.post("/login/test/", {"pid": manager.pid})
    assert response["Location"] == "/systemuser/"
    assert client.session[ACTOR_SESSION_KEY] == customer.orgno
    page = client.get("/systemuser/").content.decode()
    assert f"Du representerer nå {customer.name}." in page


def test_a_person_with_two_organisations_chooses_after_login(client, manager, customer):
    f.give_role(manager, "DAGL", f.make_org("Annen Bedrift AS"))
    response = client.post("/login/test/", {"pid": manager.pid})
    assert response["Location"] == "/actor/"
    assert ACTOR_SESSION_KEY not in client.session


def test_a_page_that_needs_an_organisation_acts_for_the_only_one(login, manager, customer):
    client = login(manager)
    session = client.session
    session.pop(ACTOR_SESSION_KEY)
    session.save()
    response = _protected_view(_request(client, "/some/page/"))
    assert response.content.decode() == f"acting for {customer.orgno}"


def test_the_front_page_takes_a_person_with_one_organisation_to_its_overview(login, manager, customer):
    client = login(manager)
    session = client.session
    session.pop(ACTOR_SESSION_KEY)
    session.save()
    assert client.get("/")["Location"] == "/systemuser/"
    assert client.session[ACTOR_SESSION_KEY] == customer.orgno


def test_a_subunit_is_listed_under_its_main_unit_and_can_be_chosen(login, manager, customer):
    torget = f.make_org(f"{customer.name} avd. Torget", parent=customer)
    f.make_org("Fremmed AS avd. Kaia", parent=f.make_org("Fremmed AS"))
    client = login(manager)
    page = client.get("/actor/").content.decode()
    assert "Du kan representere 2 virksomheter." in page
    sub_list = page.split(f'aria-label="Underenheter av {customer.name}"')[1].split("</ul>")[0]
    assert torget.name in sub_list and grouped_orgno(torget.orgno) in sub_list
    assert "Daglig leder i hovedenheten" in sub_list
    assert "Fremmed" not in page
    assert choose(client, torget)["Location"] == "/systemuser/"
    assert client.session[ACTOR_SESSION_KEY] == torget.orgno


def test_a_subunit_found_by_search_names_its_main_unit(login, manager, customer):
    torget = f.make_org(f"{customer.name} avd. Torget", parent=customer)
    page = login(manager).get("/actor/", {"q": "torget"}).content.decode()
    assert "1 virksomhet passer søket." in page
    assert f"underenhet av {customer.name}" in page
    assert torget.name in page


def test_each_organisation_says_why_the_person_may_act_for_it(login, manager, customer):
    other = f.make_org("Annen Bedrift AS")
    f.delegate_package("lonn", from_org=other, to=manager)
    page = login(manager).get("/actor/").content.decode()
    rows = {name: page.split(name)[1].split("</button>")[0] for name in (customer.name, other.name)}
    assert "Daglig leder" in rows[customer.name]
    assert "Tilgangspakken «Lønn»" in rows[other.name] and "Daglig leder" not in rows[other.name]


def test_people_with_many_organisations_see_the_ones_they_used_last_first(login, db):
    person, orgs = _accountant_with_clients(12)
    client = login(person)
    for org in (orgs[3], orgs[7], orgs[5]):
        choose(client, org)
    recent = client.get("/actor/").content.decode().split('data-testid="recent"')[1].split("</section>")[0]
    assert "Klient 00 AS" not in recent
    assert recent.index("Klient 05 AS") < recent.index("Klient 07 AS") < recent.index("Klient 03 AS")
    # Kept across logins (in the database, not the session), and only while the person may act for them.
    RoleAssignment.objects.filter(holder_person=person, of=orgs[7]).delete()
    client.post("/logout/")
    recent = login(person).get("/actor/").content.decode().split('data-testid="recent"')[1].split("</section>")[0]
    assert "Klient 05 AS" in recent and "Klient 03 AS" in recent and "Klient 07 AS" not in recent


def test_people_with_a_few_organisations_get_no_recent_list(login, manager, customer):
    f.give_role(manager, "DAGL", f.make_org("Annen Bedrift AS"))
    client = login(manager)
    choose(client, customer)
    assert 'data-testid="recent"' not in client.get("/actor/").content.decode()
