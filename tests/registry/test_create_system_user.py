import pytest

from lib.errors import ServiceError
from registry.models import AuditEvent, SystemUser
from registry.services.system_users import create_system_user


def _create(by, party, system, **kwargs):
    args = dict(packages=["skatt-naering"], rights=[{"resource": "ske-krav-og-betalinger", "action": "read"}])
    args.update(kwargs)
    return create_system_user(by=by, party=party, system=system, **args)


def test_general_manager_creates_a_system_user_with_the_rights(manager, customer, system):
    su = _create(manager, customer, system)
    assert su.owner == customer and su.external_ref == customer.orgno
    assert list(su.packages.values_list("package_id", flat=True)) == ["skatt-naering"]
    assert list(su.rights.values_list("resource_id", "action")) == [("ske-krav-og-betalinger", "read")]
    assert AuditEvent.objects.filter(action="systemuser.created", object_id=str(su.id)).count() == 1


def test_employee_without_access_manager_rights_is_refused(employee, customer, system):
    with pytest.raises(ServiceError) as err:
        _create(employee, customer, system)
    assert err.value.code == "AUTH-00066"
    assert not SystemUser.objects.exists()


def test_a_second_system_user_for_the_same_system_is_refused(manager, customer, system):
    _create(manager, customer, system)
    with pytest.raises(ServiceError) as err:
        _create(manager, customer, system)
    assert err.value.code == "AUTH-00004"
    assert SystemUser.objects.count() == 1


def test_a_package_not_on_the_system_is_refused(manager, customer, system):
    with pytest.raises(ServiceError) as err:
        _create(manager, customer, system, packages=["lonn"])
    assert err.value.code == "AUTH-00063"


def test_a_right_not_on_the_system_is_refused(manager, customer, system):
    with pytest.raises(ServiceError) as err:
        _create(manager, customer, system, rights=[{"resource": "ske-mva-melding", "action": "read"}])
    assert err.value.code == "AUTH-00001"


def test_delegation_check_names_what_the_approver_cannot_delegate(customer, system):
    from tests import factories as f

    admin = f.make_person("Tilgang Styrer")
    f.delegate_package("tilgangsstyrer", from_org=customer, to=admin)
    with pytest.raises(ServiceError) as err:
        _create(admin, customer, system)
    assert err.value.code == "AUTH-00053"
    assert "skatt-naering" in err.value.detail
    assert not SystemUser.objects.exists()
