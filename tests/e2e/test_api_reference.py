import pytest

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_the_api_reference_page_renders_the_operations_under_our_csp(page, live_server):
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{live_server.url}/authentication/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any(p.strip().endswith("/systemregister/vendor") for p in paths), paths
    assert "Systembruker API" in page.inner_text("body")
    assert blocked == []
