"""The vendor's events: the feed and its webhook subscriptions (scope SCOPE_EVENTS; docs/vendor-api.md).

- `GET systemuser/vendor/events?after=<cursor>&pageSize=<n>`: the vendor's own events, oldest first.
  The cursor is the last event's sequence number: stable, and valid across restarts.
- `…/systemuser/vendor/webhooks[/{id}[/secret|/deliveries[/{deliveryId}/resend]]]`: subscriptions, the
  secret (shown on creation and rotation only), the delivery log, and sending a delivery again.
Another vendor's subscription or delivery is not found (404), so ids do not leak.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from lib.errors import FieldError, ValidationFailed
from registry import webhooks
from registry.models import VendorEvent, WebhookSubscription
from registry.models.events import EVENT_TYPES

from . import serializers as s
from .base import SCOPE_EVENTS, VendorAPIView, paginate, parse
from .systems import ERRORS

FEED_PAGE_SIZE = 100
FEED_MAX_PAGE_SIZE = 500


class CloudEventOut(serializers.Serializer):
    specversion = serializers.CharField()
    id = serializers.UUIDField()
    source = serializers.CharField()
    type = serializers.ChoiceField(choices=EVENT_TYPES)
    subject = serializers.CharField()
    time = serializers.DateTimeField()
    datacontenttype = serializers.CharField()
    data = serializers.DictField()


class FeedLinks(serializers.Serializer):
    next = serializers.URLField()


class FeedOut(serializers.Serializer):
    data = CloudEventOut(many=True)
    cursor = serializers.CharField(help_text="Pass as `after` to read on; stable across restarts")
    hasMore = serializers.BooleanField()  # noqa: N815 - the wire name
    links = FeedLinks()


def _int_param(request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or not minimum <= int(raw) <= maximum:
        raise ValidationFailed(
            [FieldError("STD.VLD-00001", f"{name} must be a whole number from {minimum} to {maximum}", [f"/{name}"])]
        )
    return int(raw)


class EventFeedView(VendorAPIView):
    scopes = (SCOPE_EVENTS,)

    @extend_schema(
        operation_id="systemuser_vendor_events",
        parameters=[
            OpenApiParameter("after", str, required=False, description="The cursor of the last event read"),
            OpenApiParameter("pageSize", int, required=False, description=f"1–{FEED_MAX_PAGE_SIZE}"),
        ],
        responses={200: FeedOut, **ERRORS},
    )
    def get(self, request):
        after = _int_param(request, "after", default=0, minimum=0, maximum=2**63 - 1)
        size = _int_param(request, "pageSize", default=FEED_PAGE_SIZE, minimum=1, maximum=FEED_MAX_PAGE_SIZE)
        settled = timezone.now() - timedelta(seconds=settings.EVENTS_FEED_SETTLE_SECONDS)
        rows = list(
            VendorEvent.objects.filter(vendor=self.caller(), seq__gt=after, time__lte=settled).order_by("seq")[
                : size + 1
            ]
        )
        has_more = len(rows) > size
        rows = rows[:size]
        cursor = str(rows[-1].seq) if rows else str(after)
        next_url = request.build_absolute_uri(request.path) + f"?after={cursor}&pageSize={size}"
        return Response(
            {
                "data": [row.as_cloudevent() for row in rows],
                "cursor": cursor,
                "hasMore": has_more,
                "links": {"next": next_url},
            }
        )


# --- webhook subscriptions ---------------------------------------------------------------------------


class SubscriptionIn(serializers.Serializer):
    url = s.StrictCharField(max_length=2000)
    eventTypes = serializers.ListField(  # noqa: N815 - the wire name
        child=s.StrictCharField(max_length=100), max_length=len(EVENT_TYPES), required=False, default=list
    )


class SubscriptionPatchIn(serializers.Serializer):
    url = s.StrictCharField(max_length=2000, required=False)
    eventTypes = serializers.ListField(  # noqa: N815
        child=s.StrictCharField(max_length=100), max_length=len(EVENT_TYPES), required=False
    )
    isActive = s.StrictBooleanField(required=False)  # noqa: N815


class SubscriptionOut(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    eventTypes = serializers.ListField(child=serializers.CharField(), source="event_types")  # noqa: N815
    isActive = serializers.BooleanField(source="is_active")  # noqa: N815
    failingSince = s.UtcDateTimeField(source="failing_since", allow_null=True)  # noqa: N815
    disabledAt = s.UtcDateTimeField(source="disabled_at", allow_null=True)  # noqa: N815
    previousSecretValidUntil = s.UtcDateTimeField(source="previous_secret_until", allow_null=True)  # noqa: N815
    created = s.UtcDateTimeField()


class SubscriptionWithSecretOut(SubscriptionOut):
    secret = serializers.CharField(help_text="Shown only now: keep it to verify the signatures")


class AttemptOut(serializers.Serializer):
    at = s.UtcDateTimeField()
    statusCode = serializers.IntegerField(source="status_code", allow_null=True)  # noqa: N815
    error = serializers.CharField()
    durationMs = serializers.IntegerField(source="duration_ms")  # noqa: N815


class DeliveryOut(serializers.Serializer):
    id = serializers.UUIDField()
    eventId = serializers.UUIDField(source="event.id")  # noqa: N815
    eventType = serializers.CharField(source="event.type")  # noqa: N815
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    lastStatusCode = serializers.IntegerField(source="last_status_code", allow_null=True)  # noqa: N815
    lastError = serializers.CharField(source="last_error")  # noqa: N815
    nextAttemptAt = s.UtcDateTimeField(source="next_attempt_at")  # noqa: N815
    deliveredAt = s.UtcDateTimeField(source="delivered_at", allow_null=True)  # noqa: N815
    created = s.UtcDateTimeField()
    attemptLog = AttemptOut(source="attempt_log", many=True)  # noqa: N815


SubscriptionPage = s.paginated(SubscriptionOut, "WebhookSubscriptionPage")
RECENT_DELIVERIES = 100


class DeliveryList(serializers.Serializer):
    data = DeliveryOut(many=True)


def _with_secret(subscription: WebhookSubscription, secret: str) -> dict:
    return {**SubscriptionOut(subscription).data, "secret": secret}


class WebhooksView(VendorAPIView):
    scopes = (SCOPE_EVENTS,)

    @extend_schema(operation_id="systemuser_vendor_webhooks_list", responses={200: SubscriptionPage, **ERRORS})
    def get(self, request):
        subscriptions = webhooks.subscriptions_of(self.caller())
        return Response(paginate(request, subscriptions, order=("created", "id"), serializer=SubscriptionOut))

    @extend_schema(
        operation_id="systemuser_vendor_webhooks_create",
        request=SubscriptionIn,
        responses={201: SubscriptionWithSecretOut, **ERRORS},
    )
    def post(self, request):
        body = parse(SubscriptionIn, request.data, root="")
        subscription, secret = webhooks.create_subscription(
            vendor=self.caller(),
            url=body["url"],
            event_types=body["eventTypes"],
            actor=self.actor(),
            ip=self.client_ip(),
        )
        return Response(_with_secret(subscription, secret), status=201)


class WebhookView(VendorAPIView):
    scopes = (SCOPE_EVENTS,)

    @extend_schema(operation_id="systemuser_vendor_webhooks_get", responses={200: SubscriptionOut, **ERRORS})
    def get(self, request, subscription_id: str):
        return Response(SubscriptionOut(webhooks.get_subscription(self.caller(), subscription_id)).data)

    @extend_schema(
        operation_id="systemuser_vendor_webhooks_update",
        request=SubscriptionPatchIn,
        responses={200: SubscriptionOut, **ERRORS},
    )
    def patch(self, request, subscription_id: str):
        subscription = webhooks.get_subscription(self.caller(), subscription_id)
        body = parse(SubscriptionPatchIn, request.data, root="")
        subscription = webhooks.update_subscription(
            subscription,
            url=body.get("url"),
            event_types=body.get("eventTypes"),
            is_active=body.get("isActive"),
            actor=self.actor(),
            ip=self.client_ip(),
        )
        return Response(SubscriptionOut(subscription).data)

    @extend_schema(operation_id="systemuser_vendor_webhooks_delete", responses={204: None, **ERRORS})
    def delete(self, request, subscription_id: str):
        subscription = webhooks.get_subscription(self.caller(), subscription_id)
        webhooks.delete_subscription(subscription, actor=self.actor(), ip=self.client_ip())
        return Response(status=204)


class WebhookSecretView(VendorAPIView):
    scopes = (SCOPE_EVENTS,)

    @extend_schema(
        operation_id="systemuser_vendor_webhooks_rotate_secret",
        request=None,
        responses={200: SubscriptionWithSecretOut, **ERRORS},
    )
    def post(self, request, subscription_id: str):
        subscription = webhooks.get_subscription(self.caller(), subscription_id)
        subscription, secret = webhooks.rotate_secret(subscription, actor=self.actor(), ip=self.client_ip())
        return Response(_with_secret(subscription, secret))


class WebhookDeliveriesView(VendorAPIView):
    scopes = (SCOPE_EVENTS,)

    @extend_schema(operation_id="systemuser_vendor_webhooks_deliveries", responses={200: DeliveryList, **ERRORS})
    def get(self, request, subscription_id: str):
        """The most recent deliveries, newest first, each with its attempts."""
        subscription = webhooks.get_subscription(self.caller(), subscription_id)
        deliveries = webhooks.deliveries_of(subscription).order_by("-created", "-id")[:RECENT_DELIVERIES]
        return Response({"data": DeliveryOut(deliveries, many=True).data})


class WebhookResendView(VendorAPIView):
    scopes = (SCOPE_EVENTS,)

    @extend_schema(
        operation_id="systemuser_vendor_webhooks_resend", request=None, responses={202: DeliveryOut, **ERRORS}
    )
    def post(self, request, subscription_id: str, delivery_id: str):
        subscription = webhooks.get_subscription(self.caller(), subscription_id)
        delivery = webhooks.resend(subscription, delivery_id)
        return Response(DeliveryOut(delivery).data, status=202)
