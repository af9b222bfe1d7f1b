"""Vendor API, system register and system-user look-ups (CONTRACT §2.1, §2.4), and the OpenAPI schema."""

from lib.routing import any_case_path
from registry.api import docs, enduser, system_users, systems

app_name = "registry_api"

urlpatterns = [
    any_case_path("systemregister", systems.SystemListView.as_view(), name="systems"),
    any_case_path("systemregister/vendor", systems.VendorSystemsView.as_view(), name="vendor_systems"),
    any_case_path(
        "systemregister/vendor/<str:system_id>", systems.VendorSystemDetailView.as_view(), name="vendor_system"
    ),
    any_case_path(
        "systemregister/vendor/<str:system_id>/rights",
        systems.VendorSystemRightsView.as_view(),
        name="vendor_system_rights",
    ),
    any_case_path(
        "systemregister/vendor/<str:system_id>/accesspackages",
        systems.VendorSystemPackagesView.as_view(),
        name="vendor_system_packages",
    ),
    any_case_path(
        "systemregister/vendor/<str:system_id>/changelog",
        systems.VendorSystemChangeLogView.as_view(),
        name="vendor_system_changelog",
    ),
    any_case_path("systemregister/<str:system_id>", systems.SystemDetailView.as_view(), name="system"),
    any_case_path("systemregister/<str:system_id>/rights", systems.SystemRightsView.as_view(), name="system_rights"),
    any_case_path(
        "systemregister/<str:system_id>/accesspackages", systems.SystemPackagesView.as_view(), name="system_packages"
    ),
    any_case_path("systemuser/vendor/byquery", system_users.SystemUserByQueryView.as_view(), name="systemuser_byquery"),
    any_case_path(
        "systemuser/vendor/bysystem/<str:system_id>",
        system_users.SystemUsersBySystemView.as_view(),
        name="systemuser_bysystem",
    ),
    # Altinn's end-user client delegation (person tokens from exchange/id-porten); a trailing slash as
    # in Altinn's examples (`clients/?agent=`) is accepted too.
    any_case_path("enduser/systemuser/agents", enduser.AgentsView.as_view(), name="enduser_agents"),
    any_case_path(
        "enduser/systemuser/clients/available", enduser.AvailableClientsView.as_view(), name="enduser_available"
    ),
    any_case_path("enduser/systemuser/clients", enduser.ClientsView.as_view(), name="enduser_clients"),
    any_case_path("enduser/systemuser/clients/bulk", enduser.BulkClientsView.as_view(), name="enduser_clients_bulk"),
    any_case_path("enduser/systemuser/clients/", enduser.ClientsSlashView.as_view(), name="enduser_clients_slash"),
    any_case_path("openapi.json", docs.schema_view, name="openapi"),
    any_case_path("docs/", docs.swagger_ui, name="swagger_ui"),
]
