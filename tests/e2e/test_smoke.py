import pytest

from tests.e2e.conftest import axe_violations, login

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_a_person_logs_in_and_chooses_whom_to_act_for(page, live_server, manager, customer):
    login(page, live_server, manager.pid)
    assert "Hvem vil du representere" in page.content()
    assert axe_violations(page) == []
    page.click(f"text={customer.name}")
    page.wait_for_url(f"{live_server.url}/systemuser/")
    assert customer.name in page.inner_text("[data-testid=who]")
