"""Vendor API, requests (CONTRACT §2.2)."""

from django.urls import path

from approvals.api import views

app_name = "approvals_api"

R = "systemuser/request/vendor"

urlpatterns = [
    path(R, views.RequestCreateView.as_view(), name="requests"),
    path(f"{R}/agent", views.AgentRequestCreateView.as_view(), name="agent_requests"),
    path(
        f"{R}/agent/byexternalref/<str:system_id>/<str:orgno>/<str:external_ref>",
        views.AgentRequestByExternalRefView.as_view(),
        name="agent_request_byexternalref",
    ),
    path(f"{R}/agent/bysystem/<str:system_id>", views.AgentRequestsBySystemView.as_view(), name="agent_bysystem"),
    path(f"{R}/agent/<str:request_id>", views.AgentRequestDetailView.as_view(), name="agent_request"),
    path(
        f"{R}/byexternalref/<str:system_id>/<str:orgno>/<str:external_ref>",
        views.RequestByExternalRefView.as_view(),
        name="request_byexternalref",
    ),
    path(f"{R}/bysystem/<str:system_id>", views.RequestsBySystemView.as_view(), name="bysystem"),
    path(f"{R}/<str:request_id>", views.RequestDetailView.as_view(), name="request"),
]
