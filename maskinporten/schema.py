"""OpenAPI (drf-spectacular) description of our bearer-token authentication; loaded in AppConfig.ready()."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "lib.tokens.authentication.BearerTokenAuthentication"
    name = "maskinporten"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "An access token from POST /token (or a configured external Maskinporten), or the platform "
                "token GET /authentication/api/v1/exchange/maskinporten gives for one."
            ),
        }


class PersonTokenScheme(OpenApiAuthenticationExtension):
    target_class = "lib.tokens.authentication.PersonTokenAuthentication"
    name = "personToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "A person token: the body of GET /authentication/api/v1/exchange/id-porten for the person's "
                "ID-porten access token (scopes altinn:clientdelegations.read / .write)."
            ),
        }
