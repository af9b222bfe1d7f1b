"""The OpenAPI schema of the vendor API (drf-spectacular) and a Swagger UI page served from our static files."""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularJSONAPIView

API_PREFIX = "/authentication/api/v1/"
# Altinn's AuthorizedParties for a system user lives under Altinn's access-management prefix.
API_PREFIXES = (API_PREFIX, "/accessmanagement/api/v1/")


def only_vendor_api(endpoints, **kwargs):
    """Preprocessing hook: the schema covers the vendor API, not the portal or the admin."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(API_PREFIXES)]


schema_view = SpectacularJSONAPIView.as_view(authentication_classes=[], permission_classes=[])


@csrf_exempt  # only so that a POST gets the 405 below rather than a CSRF page; the view changes nothing
@require_safe
def swagger_ui(request):
    return render(request, "api/swagger.html", {"schema_url": reverse("registry_api:openapi")})
