"""The approval pages at the confirmUrl paths (CONTRACT §2.2) and their decision forms."""

from django.urls import path

from approvals.models import RequestKind
from portal.approvals import change_views, views

app_name = "approvals"

urlpatterns = [
    path("systemuser/request", views.request_page, {"kind": RequestKind.STANDARD}, name="request"),
    path("systemuser/agentrequest", views.request_page, {"kind": RequestKind.AGENT}, name="agentrequest"),
    path("systemuser/request/<uuid:pk>/approve/", views.decide, {"decision": "approve"}, name="approve"),
    path("systemuser/request/<uuid:pk>/reject/", views.decide, {"decision": "reject"}, name="reject"),
    path("systemuser/request/<uuid:pk>/escalate/", views.decide, {"decision": "escalate"}, name="escalate"),
]

urlpatterns += [
    path("systemuser/changerequest", change_views.change_request_page, name="changerequest"),
    path(
        "systemuser/changerequest/<uuid:pk>/approve/",
        change_views.decide,
        {"decision": "approve"},
        name="changerequest_approve",
    ),
    path(
        "systemuser/changerequest/<uuid:pk>/reject/",
        change_views.decide,
        {"decision": "reject"},
        name="changerequest_reject",
    ),
]
