"""A tiny DRF API and a plain view guarded like the real ones, to test authentication on its own."""

from django.http import JsonResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from lib.tokens.authentication import BearerTokenAuthentication, HasScope, authenticate_bearer


class WhoAmI(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [HasScope.of("altinn:authentication/systemregister.write")]

    def get(self, request):
        user = request.user
        return Response({"orgno": user.consumer_orgno, "client_id": user.client_id, "scopes": sorted(user.scopes)})


def plain(request):
    claims = authenticate_bearer(request)
    if claims is None:
        return JsonResponse({"error": "unauthorized"}, status=401)
    return JsonResponse({"client_id": claims["client_id"]})


urlpatterns = [path("whoami", WhoAmI.as_view()), path("plain", plain)]
