"""Staff register systems in the admin with the same rules and change log as the vendor API."""

import pytest

from registry.models import RegisteredSystem, SystemClient

ADD = "/admin/registry/registeredsystem/add/"


def form_data(vendor, **overrides):
    data = {
        "system_id": f"{vendor.orgno}_manuell",
        "vendor_orgno": vendor.orgno,
        "is_visible": "on",
        "name_nb": "Manuelt registrert",
        "name_nn": "",
        "name_en": "",
        "description_nb": "",
        "description_nn": "",
        "description_en": "",
        "rights": "ske-mva-melding read\nske-skattekort-arbeidsgiver",
        "access_packages": "merverdiavgift",
        "client_ids": "staff-client-1",
        "allowed_redirect_urls": "https://manuell.example/cb",
        "changelog-TOTAL_FORMS": "0",
        "changelog-INITIAL_FORMS": "0",
        "changelog-MIN_NUM_FORMS": "0",
        "changelog-MAX_NUM_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_staff_register_a_system_through_the_service(admin_client, vendor):
    response = admin_client.post(ADD, form_data(vendor))
    assert response.status_code == 302, response.context["adminform"].form.errors
    system = RegisteredSystem.objects.get(system_id=f"{vendor.orgno}_manuell")
    assert system.vendor == vendor
    assert sorted((r.resource_id, r.action) for r in system.rights.all()) == [
        ("ske-mva-melding", "read"),
        ("ske-skattekort-arbeidsgiver", ""),
    ]
    assert list(system.packages.values_list("package_id", flat=True)) == ["merverdiavgift"]
    entry = system.changelog.get()
    assert (entry.change_type, entry.changed_by) == ("created", "staff:admin")


@pytest.mark.parametrize(
    "overrides, field, code",
    [
        ({"client_ids": "client-fakturering"}, "client_ids", "AUTH.VLD-00004"),
        ({"rights": "finnes-ikke read"}, "rights", "AUTH.VLD-00003"),
        ({"access_packages": "regnskapsforer-lonn"}, "access_packages", "AUTH.VLD-00018"),
        ({"allowed_redirect_urls": "http://x.example"}, "allowed_redirect_urls", "AUTH.VLD-00005"),
        ({"system_id": "974761076_manuell"}, "system_id", "AUTH.VLD-00001"),
        ({"vendor_orgno": "123456789"}, "vendor_orgno", "AUTH.VLD-00000"),
    ],
)
def test_the_admin_form_applies_the_api_rules(admin_client, vendor, system, overrides, field, code):
    response = admin_client.post(ADD, form_data(vendor, **overrides))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any(code in e for e in errors[field]), errors
    assert not RegisteredSystem.objects.filter(system_id__endswith="_manuell").exists()


def test_staff_change_a_system_and_see_the_change_log(admin_client, vendor, system):
    url = f"/admin/registry/registeredsystem/{system.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = form_data(vendor, system_id=system.system_id, client_ids="client-fakturering\nclient-2")
    data.update(rights=form.initial["rights"], access_packages=form.initial["access_packages"])
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    system.refresh_from_db()
    assert system.name["nb"] == "Manuelt registrert"
    assert sorted(system.clients.values_list("client_id", flat=True)) == ["client-2", "client-fakturering"]
    assert "updated" in admin_client.get(url).content.decode()


def test_staff_soft_delete_systems_and_free_their_client_ids(admin_client, system):
    response = admin_client.post(
        "/admin/registry/registeredsystem/",
        {"action": "soft_delete", "_selected_action": [str(system.pk)]},
    )
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.is_deleted
    assert not SystemClient.objects.filter(client_id="client-fakturering").exists()
    assert system.changelog.get().changed_by == "staff:admin"


@pytest.fixture
def own_system(manager, customer):
    from maskinporten.self_developed import OwnIntegration, create_own_integration
    from tests.maskinporten.test_self_developed import own_key, pem

    spec = OwnIntegration(
        name={"nb": "Bakeriets egen kobling"},
        public_key=pem(own_key()),
        rights=[{"resource": "ske-krav-og-betalinger", "action": "read"}],
    )
    return create_own_integration(by=manager, org=customer, spec=spec).system


def test_staff_filter_self_developed_systems_apart(admin_client, system, own_system):
    own = admin_client.get("/admin/registry/registeredsystem/", {"is_self_developed__exact": "1"}).content.decode()
    assert own_system.system_id in own and system.system_id not in own
    vendors = admin_client.get("/admin/registry/registeredsystem/", {"is_self_developed__exact": "0"}).content.decode()
    assert system.system_id in vendors and own_system.system_id not in vendors


def test_staff_see_a_self_developed_system_but_can_not_change_it(admin_client, own_system):
    url = f"/admin/registry/registeredsystem/{own_system.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200 and "Bakeriets egen kobling" in page.content.decode()
    assert admin_client.post(url, {"system_id": own_system.system_id}).status_code == 403
    own_system.refresh_from_db()
    assert own_system.name == {"nb": "Bakeriets egen kobling"}


def test_staff_soft_delete_a_self_developed_system_and_no_token_follows(admin_client, own_system):
    from maskinporten.self_developed import own_integration_client
    from tests.maskinporten.test_self_developed import get_token

    system_user = own_system.system_users.get()
    token_client = own_integration_client(system_user)
    assert get_token(admin_client, system_user).status_code == 200
    response = admin_client.post(
        "/admin/registry/registeredsystem/", {"action": "soft_delete", "_selected_action": [str(own_system.pk)]}
    )
    assert response.status_code == 302
    own_system.refresh_from_db()
    assert own_system.is_deleted and not own_system.clients.exists()
    assert get_token(admin_client, system_user, client=token_client).status_code == 400
