"""The business's own system-access pages (CONTRACT §4: overview /systemuser/, details /systemuser/<uuid>/)."""

from django.urls import path

from portal.systemusers import clients, create, details, own

app_name = "systemusers"

urlpatterns = [
    path("systemuser/new/", create.choose_system, name="create"),
    path("systemuser/new/<uuid:system_uuid>/", create.confirm, name="confirm"),
    path("systemuser/own/new/", own.new, name="own_new"),
    path("systemuser/<uuid:pk>/integration/", own.integration, name="own_integration"),
    path("systemuser/<uuid:pk>/integration/keys/", own.add_key, name="own_add_key"),
    path("systemuser/<uuid:pk>/integration/rights/", own.add_grants, name="own_add_grants"),
    path("systemuser/<uuid:pk>/integration/keys/<int:key_id>/remove/", own.remove_key, name="own_remove_key"),
    path("systemuser/<uuid:pk>/", details.details, name="details"),
    path("systemuser/<uuid:pk>/delete/", details.delete, name="delete"),
    path("systemuser/<uuid:pk>/revoke/package/", details.revoke_package, name="revoke_package"),
    path("systemuser/<uuid:pk>/revoke/right/", details.revoke_right, name="revoke_right"),
    path("systemuser/<uuid:pk>/clients/", clients.add, name="add_clients"),
    path("systemuser/<uuid:pk>/clients/missing/", clients.missing, name="missing_clients"),
    path("systemuser/<uuid:pk>/clients.csv", clients.export, name="export_clients"),
    path("systemuser/<uuid:pk>/clients/<str:orgno>/remove/", clients.remove, name="remove_client"),
]
