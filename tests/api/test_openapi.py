"""The vendor API documents itself: an OpenAPI 3 schema and a Swagger UI page from our own static files."""

import re

from django.contrib.staticfiles import finders

SCHEMA = "/authentication/api/v1/openapi.json"
DOCS = "/authentication/api/v1/docs/"


def test_the_schema_lists_every_vendor_operation(client, db):
    response = client.get(SCHEMA)
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path, method in [
        ("systemregister", "get"),
        ("systemregister/vendor", "post"),
        ("systemregister/vendor/{system_id}", "put"),
        ("systemregister/vendor/{system_id}", "delete"),
        ("systemregister/vendor/{system_id}/rights", "put"),
        ("systemregister/vendor/{system_id}/accesspackages", "put"),
        ("systemregister/vendor/{system_id}/changelog", "get"),
        ("systemuser/request/vendor", "post"),
        ("systemuser/request/vendor/agent", "post"),
        ("systemuser/request/vendor/{request_id}", "delete"),
        ("systemuser/request/vendor/bysystem/{system_id}", "get"),
        ("systemuser/vendor/byquery", "get"),
        ("systemuser/vendor/bysystem/{system_id}", "get"),
        ("exchange/{provider}", "get"),
        ("refresh", "get"),
    ]:
        assert method in paths["/authentication/api/v1/" + path], path
    assert "/admin/" not in " ".join(paths)
    create = paths["/authentication/api/v1/systemregister/vendor"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"id", "vendor", "rights", "accessPackages", "clientId", "allowedRedirectUrls"} <= set(
        schema["components"]["schemas"][body]["properties"]
    )


def test_the_reference_page_loads_swagger_ui_from_our_static_files_without_inline_scripts(client, db):
    response = client.get(DOCS)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-schema-url="/authentication/api/v1/openapi.json"' in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "https://" not in html  # no CDN
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for asset in ["vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui.css", "js/swagger-init.js"]:
        assert finders.find(asset), asset
