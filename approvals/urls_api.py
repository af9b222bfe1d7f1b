"""Vendor API, requests and change requests (CONTRACT §2.2, §2.3)."""

from approvals.api import change_requests, views
from lib.routing import any_case_path

app_name = "approvals_api"

R = "systemuser/request/vendor"
C = "systemuser/changerequest/vendor"

urlpatterns = [
    any_case_path(R, views.RequestCreateView.as_view(), name="requests"),
    any_case_path(f"{R}/agent", views.AgentRequestCreateView.as_view(), name="agent_requests"),
    any_case_path(
        f"{R}/agent/byexternalref/<str:system_id>/<str:orgno>/<str:external_ref>",
        views.AgentRequestByExternalRefView.as_view(),
        name="agent_request_byexternalref",
    ),
    any_case_path(
        f"{R}/agent/bysystem/<str:system_id>", views.AgentRequestsBySystemView.as_view(), name="agent_bysystem"
    ),
    any_case_path(f"{R}/agent/<str:request_id>", views.AgentRequestDetailView.as_view(), name="agent_request"),
    any_case_path(
        f"{R}/byexternalref/<str:system_id>/<str:orgno>/<str:external_ref>",
        views.RequestByExternalRefView.as_view(),
        name="request_byexternalref",
    ),
    any_case_path(f"{R}/bysystem/<str:system_id>", views.RequestsBySystemView.as_view(), name="bysystem"),
    any_case_path(f"{R}/<str:request_id>", views.RequestDetailView.as_view(), name="request"),
    any_case_path(C, change_requests.ChangeRequestCreateView.as_view(), name="changerequests"),
    any_case_path(
        f"{C}/byexternalref/<str:system_id>/<str:orgno>/<str:external_ref>",
        change_requests.ChangeRequestByExternalRefView.as_view(),
        name="changerequest_byexternalref",
    ),
    any_case_path(
        f"{C}/bysystem/<str:system_id>",
        change_requests.ChangeRequestsBySystemView.as_view(),
        name="changerequest_bysystem",
    ),
    any_case_path(
        f"{C}/<str:change_request_id>", change_requests.ChangeRequestDetailView.as_view(), name="changerequest"
    ),
]
