"""What every vendor API view shares: bearer-token authentication, the caller's organisation,
case-insensitive input, a body-size limit, and `{links: {next}, data}` pagination with an opaque token."""

import base64
import json
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.utils import translation
from rest_framework import serializers
from rest_framework.views import APIView

from lib.errors import FieldError, ServiceError, ValidationFailed
from lib.problems import drf_validation_errors
from lib.tokens.authentication import BearerTokenAuthentication, HasScope
from lib.unstorable import unstorable
from registry.models import Organisation

SCOPE_SYSTEMREGISTER_WRITE = "altinn:authentication/systemregister.write"
SCOPE_SYSTEMREGISTER_ADMIN = "altinn:authentication/systemregister.admin"
SCOPE_REQUEST_WRITE = "altinn:authentication/systemuser.request.write"
SCOPE_REQUEST_READ = "altinn:authentication/systemuser.request.read"
# Ours, not Altinn's: the vendor's event feed and webhook subscriptions (docs/vendor-api.md).
SCOPE_EVENTS = "altinn:authentication/systemuser.events"

PAGE_SIZE = 50
_PAGE_SALT = "vendor-api.page"


class ProgramAPIMixin:
    """For a DRF view that programs call (the vendor API, Maskinporten's system-user look-up)."""

    def initial(self, request, *args, **kwargs):
        if not hasattr(self, request.method.lower()):
            # A wrong method is 405 before the token is looked at, as Altinn's routing answers it: the
            # operations are public (openapi.json), so this tells a caller without a token nothing new.
            self.http_method_not_allowed(request)
        super().initial(request, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        if request.META.get("HTTP_ACCEPT_LANGUAGE"):
            return super().dispatch(request, *args, **kwargs)
        # Programs read our messages: English unless they ask for another language.
        with translation.override("en"):
            return super().dispatch(request, *args, **kwargs)


class VendorAPIView(ProgramAPIMixin, APIView):
    """A vendor API operation. Subclasses set `scopes` (any one of them suffices)."""

    authentication_classes = [BearerTokenAuthentication]
    scopes: tuple[str, ...] = ()

    def get_permissions(self):
        return [HasScope.of(*self.scopes)()]

    def initial(self, request, *args, **kwargs):
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            # DRF streams the body past Django's own limit, so we check the declared length ourselves.
            raise ServiceError("HTTP-413", "The request body is too large.", status=413)
        refuse_unstorable({**kwargs, **{k: v for k, v in request.GET.items()}})
        super().initial(request, *args, **kwargs)  # then the method (ProgramAPIMixin), then the token

    def caller(self) -> Organisation:
        """The vendor: the token's consumer organisation. AUTH-00023 when it is not one we know."""
        if getattr(self, "_caller", None) is None:
            self._caller = self._find_caller()
        return self._caller

    def _find_caller(self) -> Organisation:
        orgno = getattr(self.request.user, "consumer_orgno", "")
        org = Organisation.objects.live().filter(orgno=orgno).first() if orgno else None
        if org is None:
            raise ServiceError("AUTH-00023", "The token's consumer organisation is not known here", status=401)
        return org

    def actor(self) -> str:
        return f"vendor:{self.caller().orgno}"

    def has_scope(self, scope: str) -> bool:
        return scope in getattr(self.request.user, "scopes", ())

    def client_ip(self) -> str | None:
        return self.request.META.get("REMOTE_ADDR") or None


def refuse_unstorable(params: dict) -> None:
    """Path and query values with NUL or lone surrogates (lib/unstorable.py) are a validation problem."""
    bad = [name for name, value in params.items() if unstorable(value)]
    if bad:
        raise ValidationFailed(
            [
                FieldError("STD.VLD-00001", "The value contains characters that are not allowed", [f"/{name}"])
                for name in bad
            ]
        )


def _null_means_absent(field, value) -> bool:
    """An explicit null for an optional list or language object is left out, so its default applies: a C#
    client serializes an unset list as null, and Altinn's binding takes that as not given."""
    return (
        value is None
        and not field.required
        and not field.allow_null
        and isinstance(field, serializers.ListSerializer | serializers.ListField | serializers.DictField)
    )


def canonical_keys(data, serializer):
    """`data` with its object keys renamed to the serializer's field names, ignoring case, at every depth."""
    if isinstance(serializer, serializers.ListSerializer):
        return [canonical_keys(item, serializer.child) for item in data] if isinstance(data, list) else data
    if isinstance(serializer, serializers.ListField):
        return [canonical_keys(item, serializer.child) for item in data] if isinstance(data, list) else data
    if isinstance(serializer, serializers.Serializer) and isinstance(data, dict):
        names = {name.lower(): name for name in serializer.fields}
        result = {}
        for key, value in data.items():
            name = names.get(str(key).lower(), key)
            field = serializer.fields.get(name)
            if field is not None and _null_means_absent(field, value):
                continue
            result[name] = canonical_keys(value, field) if field is not None else value
        return result
    return data


def parse(serializer_class, data, *, root: str, many: bool = False, **kwargs):
    """Validated data of `serializer_class`, or ValidationFailed with paths under `root`."""
    serializer = serializer_class(many=many, **kwargs)
    serializer = serializer_class(data=canonical_keys(data, serializer), many=many, **kwargs)
    if not serializer.is_valid():
        raise ValidationFailed(drf_validation_errors(serializer.errors, root))
    return serializer.validated_data


def paginate(
    request, queryset, *, order: tuple[str, ...], serializer, size: int = PAGE_SIZE, keep: tuple[str, ...] = ()
) -> dict:
    """One page of `queryset` (keyset on `order`, e.g. ("created", "id"), through a relation such as
    ("client__name", "client__orgno"), or with an annotation first; the last field unique) as
    {links: {next}, data}; `keep` names the query parameters the next link repeats (those that say which
    list it is)."""
    token = request.query_params.get("token")
    if token:
        try:
            after = signing.loads(base64.urlsafe_b64decode(token.encode()).decode(), salt=_PAGE_SALT)
        except (signing.BadSignature, ValueError, UnicodeDecodeError, json.JSONDecodeError):
            error = FieldError("STD.VLD-00001", "The continuation token is not valid", ["/token"])
            raise ValidationFailed([error]) from None
        if not isinstance(after, list) or len(after) != len(order):
            error = FieldError("STD.VLD-00001", "The continuation token is not valid", ["/token"])
            raise ValidationFailed([error])
        # After the key: greater in the first field, or equal in it and greater in the next, and so on.
        later = Q()
        for i, name in enumerate(order):
            later |= Q(**dict(zip(order[:i], after[:i], strict=True)), **{f"{name}__gt": after[i]})
        queryset = queryset.filter(later)
    rows = list(queryset.order_by(*order)[: size + 1])
    next_url = None
    if len(rows) > size:
        rows = rows[:size]
        key = [_plain(_value(rows[-1], name)) for name in order]
        token = base64.urlsafe_b64encode(signing.dumps(key, salt=_PAGE_SALT).encode()).decode()
        kept = urlencode([(name, request.query_params[name]) for name in keep if name in request.query_params])
        next_url = request.build_absolute_uri(request.path) + "?" + (kept + "&" if kept else "") + "token=" + token
    # One serializer for the page: binding a serializer per row costs more than the queries.
    return {"links": {"next": next_url}, "data": serializer(rows, many=True).data}


def _value(row, path: str):
    for name in path.split("__"):
        row = getattr(row, name)
    return row


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
