import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.models import AccessPackage, AuditEvent, Resource, SystemPackage, SystemRight, SystemUser
from tests import factories as f
from tests.portal.systemusers_helpers import HTMX, act_for, make_system_user


@pytest.fixture
def payroll(other_vendor):
    return f.make_system(
        other_vendor, "lonnsystem", rights=[("ske-innrapportering-a-melding", "write")], packages=["a-ordning"]
    )


def test_it_lists_visible_systems_with_their_vendor(client, manager, customer, system, payroll, vendor):
    f.make_system(vendor, "hemmelig", visible=False)
    text = act_for(client, manager, customer).get("/systemuser/new/").content.decode()
    assert "Fakturering" in text and "Lonnsystem" in text and vendor.name in text
    assert "Hemmelig" not in text
    assert "2 systemer passer" in text


def test_own_invisible_system_can_be_chosen(client, manager, customer):
    f.make_system(customer, "egenutviklet", visible=False)
    text = act_for(client, manager, customer).get("/systemuser/new/").content.decode()
    assert "Egenutviklet" in text


def test_search_filters_by_system_or_vendor_name(client, manager, customer, system, payroll, other_vendor):
    act_for(client, manager, customer)
    by_system = client.get("/systemuser/new/", {"q": "faktur"}).content.decode()
    assert "Fakturering" in by_system and "Lonnsystem" not in by_system
    by_vendor = client.get("/systemuser/new/", {"q": "Konkurrenten"}).content.decode()
    assert "Lonnsystem" in by_vendor and "Fakturering" not in by_vendor


def test_search_with_htmx_returns_only_the_results_fragment(client, manager, customer, system):
    response = act_for(client, manager, customer).get("/systemuser/new/", {"q": "faktur"}, **HTMX)
    text = response.content.decode()
    assert response.status_code == 200
    assert text.lstrip().startswith('<div id="system-results"') and "<html" not in text
    assert "Fakturering" in text


def test_back_button_after_a_live_search_gets_the_whole_page(client, manager, customer, system):
    act_for(client, manager, customer)
    response = client.get("/systemuser/new/", {"q": "faktur"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode() and "Fakturering" in response.content.decode()


def test_search_with_no_match_says_so(client, manager, customer, system):
    text = act_for(client, manager, customer).get("/systemuser/new/", {"q": "finnesikke"}).content.decode()
    assert "Ingen systemer passer søket «finnesikke»" in text


def test_a_system_the_organisation_already_has_is_marked_and_not_linked(client, manager, customer, system):
    su = make_system_user(manager, customer, system)
    text = act_for(client, manager, customer).get("/systemuser/new/").content.decode()
    assert "Virksomheten har allerede en systemtilgang for dette systemet" in text
    assert f"/systemuser/new/{system.pk}/" not in text
    assert f'href="/systemuser/{su.pk}/"' in text


def test_employee_without_rights_is_told_what_they_need(client, employee, customer, system):
    act_for(client, employee, customer)
    for url in ("/systemuser/new/", f"/systemuser/new/{system.pk}/"):
        response = client.get(url)
        assert response.status_code == 403 and "Tilgangsstyrer" in response.content.decode()
    response = client.post(f"/systemuser/new/{system.pk}/", {"fingerprint": "x"})
    assert response.status_code == 403 and not SystemUser.objects.exists()


def test_confirm_page_shows_packages_and_rights_in_plain_words(client, manager, customer, system):
    text = act_for(client, manager, customer).get(f"/systemuser/new/{system.pk}/").content.decode()
    assert "Skatt næring" in text  # the package's name
    assert "Krav og betalinger – Skatteetaten" in text  # the right's resource title
    assert "Kan lese i Krav og betalinger" in text
    assert "<strong>Skattemelding for næringsdrivende</strong>: lese, skrive, signere" in text  # what it allows
    assert "Bekreft og opprett systemtilgang" in text


def test_confirm_page_uses_the_active_language(client, manager, customer, system):
    act_for(client, manager, customer)
    text = client.get(f"/systemuser/new/{system.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Claims and payments" in text and "Business tax" in text


def _confirm(client, system):
    page = client.get(f"/systemuser/new/{system.pk}/")
    return client.post(f"/systemuser/new/{system.pk}/", {"fingerprint": page.context["fingerprint"]})


def test_confirming_creates_the_system_access_with_the_systems_rights(client, manager, customer, system):
    response = _confirm(act_for(client, manager, customer), system)
    su = SystemUser.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/systemuser/{su.pk}/"
    assert su.owner == customer and su.created_by == manager
    assert list(su.packages.values_list("package_id", flat=True)) == ["skatt-naering"]
    assert list(su.rights.values_list("resource_id", "action")) == [("ske-krav-og-betalinger", "read")]
    assert AuditEvent.objects.filter(action="systemuser.created", object_id=str(su.pk)).count() == 1
    assert "er opprettet" in client.get(response["Location"]).content.decode()


def test_a_second_system_access_for_the_same_system_is_refused_with_a_clear_text(client, manager, customer, system):
    act_for(client, manager, customer)
    page = client.get(f"/systemuser/new/{system.pk}/")
    make_system_user(manager, customer, system)  # e.g. a colleague in another tab
    response = client.post(f"/systemuser/new/{system.pk}/", {"fingerprint": page.context["fingerprint"]})
    assert response.status_code == 400
    assert "Virksomheten har allerede en systemtilgang for dette systemet" in response.content.decode()
    assert SystemUser.objects.count() == 1


def test_delegation_failures_name_each_package_and_right_in_plain_words(client, customer, system):
    admin = f.make_person("Tilgang Styrer")
    f.delegate_package("tilgangsstyrer", from_org=customer, to=admin)
    response = _confirm(act_for(client, admin, customer), system)
    text = response.content.decode()
    assert response.status_code == 400
    assert "du ikke kan gi bort alt systemet trenger" in text
    assert "Skatt næring: du har den ikke selv for virksomheten" in text
    assert "Krav og betalinger – Skatteetaten: du har den ikke selv" in text
    assert not SystemUser.objects.exists()


def test_confirm_page_says_beforehand_what_the_person_may_not_delegate(client, customer, system):
    admin = f.make_person("Tilgang Styrer")
    f.delegate_package("tilgangsstyrer", from_org=customer, to=admin)
    text = act_for(client, admin, customer).get(f"/systemuser/new/{system.pk}/").content.decode()
    assert "Skatt næring: du har den ikke selv for virksomheten" in text
    assert "Bekreft og opprett systemtilgang" not in text


def test_rights_changed_since_the_page_was_shown_are_not_created_blindly(client, manager, customer, system):
    act_for(client, manager, customer)
    page = client.get(f"/systemuser/new/{system.pk}/")
    SystemRight.objects.create(system=system, resource_id="ske-mva-melding", action="read")
    response = client.post(f"/systemuser/new/{system.pk}/", {"fingerprint": page.context["fingerprint"]})
    assert response.status_code == 409 and "Se over på nytt" in response.content.decode()
    assert not SystemUser.objects.exists()


def test_bad_input_is_refused_without_a_change(client, manager, customer, system, vendor):
    act_for(client, manager, customer)
    assert client.post(f"/systemuser/new/{system.pk}/", {}).status_code == 409
    assert client.get("/systemuser/new/not-a-uuid/").status_code == 404
    hidden = f.make_system(vendor, "skjult", visible=False)
    assert client.get(f"/systemuser/new/{hidden.pk}/").status_code == 404
    assert client.get("/systemuser/new/", {"q": "x" * 5000}).status_code == 200
    assert not SystemUser.objects.exists()


def test_creation_pages_refuse_get_without_actor_and_put(client, manager, customer, system):
    act_for(client, manager, customer)
    assert client.put(f"/systemuser/new/{system.pk}/").status_code == 405


def _grow(first, vendor, n):
    """n systems, and n single rights and up to n packages on `first`."""
    for i in range(n - first.rights.count()):
        resource = Resource.objects.create(
            id=f"res-{n}-{i}", title_nb=f"Tjeneste {i}", title_nn="t", title_en="t", owner_orgno="974761076"
        )
        SystemRight.objects.create(system=first, resource=resource, action="read")
        f.make_system(vendor, f"sys{n}x{i}")
    codes = AccessPackage.objects.assignable().exclude(systempackage__system=first).values_list("code", flat=True)
    SystemPackage.objects.bulk_create(
        [SystemPackage(system=first, package_id=c) for c in codes[: n - first.packages.count()]]
    )


def test_choose_and_confirm_queries_do_not_grow_with_systems_or_rights(client, manager, customer, vendor):
    act_for(client, manager, customer)
    first = f.make_system(vendor, "aaa-first", rights=[], packages=[])
    counts = []
    for n in (3, 300):
        _grow(first, vendor, n)
        with CaptureQueriesContext(connection) as listing:
            assert client.get("/systemuser/new/").status_code == 200
        with CaptureQueriesContext(connection) as confirm:
            assert client.get(f"/systemuser/new/{first.pk}/").status_code == 200
        counts.append((len(listing), len(confirm)))
    assert first.rights.count() == 300 and first.packages.count() > 150
    assert counts[0] == counts[1]
