"""`GET /metrics`, answered in config/wsgi.py before Django like the health probes; the metrics
themselves are defined in lib/metrics.py.

Gauges of what is in the database (notifications, requests and webhook deliveries by status) are read at scrape time;
when the database is away they are left out, and the scrape still answers 200.

gunicorn runs several worker processes and a scrape reaches one of them. With PROMETHEUS_MULTIPROC_DIR
set (before the process starts: prometheus_client reads it at import), each worker writes its values
to files there and a scrape adds up all workers' files; gunicorn.conf.py clears the directory when
gunicorn starts and tells prometheus_client when a worker exits. Per-process metrics (process_*) are
only given without it: in multiprocess mode they would describe whichever worker answered.
"""

import hmac
import ipaddress
import logging
import os

from django.conf import settings
from django.core import signals
from django.db.models import Count
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)


class DatabaseCollector:
    """Gauges read from the database at scrape time; nothing when the database does not answer."""

    def describe(self):
        return self._families()

    def _families(self):
        return (
            GaugeMetricFamily(
                "systembruker_notifications", "Outbox notifications not yet sent, by status", labels=["status"]
            ),
            GaugeMetricFamily(
                "systembruker_requests",
                "System-user requests and change requests (not deleted), by kind and status",
                labels=["kind", "status"],
            ),
            GaugeMetricFamily(
                "systembruker_webhook_deliveries",
                "Webhook deliveries (one event to one subscription), by outcome so far",
                labels=["status"],
            ),
        )

    def collect(self):
        from approvals.models import ChangeRequest, Request, RequestStatus
        from registry.models import DeliveryStatus, Notification, NotificationStatus, WebhookDelivery

        notifications, requests, deliveries = self._families()
        signals.request_started.send(sender=__name__, environ={})  # close broken or old connections
        try:
            unsent = [status.value for status in NotificationStatus if status != NotificationStatus.SENT]
            counts = dict(_count_by_status(Notification.objects.filter(status__in=unsent)))
            for status in unsent:
                notifications.add_metric([status], counts.get(status, 0))
            for kind, model in (("request", Request), ("change_request", ChangeRequest)):
                counts = dict(_count_by_status(model.objects.filter(is_deleted=False)))
                for status in RequestStatus.values:
                    requests.add_metric([kind, status], counts.get(status, 0))
            counts = dict(_count_by_status(WebhookDelivery.objects.all()))
            for status in DeliveryStatus.values:
                deliveries.add_metric([status], counts.get(status, 0))
        except Exception:  # a scrape must answer while the database is away; the gauges are just missing
            log.warning("metrics: the database is unavailable; its gauges are left out", exc_info=True)
            return
        finally:
            signals.request_finished.send(sender=__name__)
        yield notifications
        yield requests
        yield deliveries


def _count_by_status(queryset):
    return queryset.order_by().values_list("status").annotate(n=Count("pk"))


_database = CollectorRegistry(auto_describe=False)
_database.register(DatabaseCollector())


def _exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY  # this process's metrics, with process_*, python_gc_* and python_info
    return generate_latest(registry) + generate_latest(_database)


def _allowed(environ) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = environ.get("HTTP_AUTHORIZATION", "")
        if given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(environ.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:  # ::ffff:127.0.0.1 from a dual-stack socket
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_IPS)


def _plain(start_response, status: str, text: str, *extra: tuple[str, str]) -> list[bytes]:
    data = text.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data))), *extra]
    start_response(status, [*headers, ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")])
    return [data]


def scrape(environ, start_response):
    """`GET /metrics`: 404 unless METRICS_ENABLED; 403 unless from an allowed address or with the token."""
    if not settings.METRICS_ENABLED:
        return _plain(start_response, "404 Not Found", "Not found\n")
    method = environ.get("REQUEST_METHOD", "GET")
    if method not in ("GET", "HEAD"):
        return _plain(start_response, "405 Method Not Allowed", "Method not allowed\n", ("Allow", "GET, HEAD"))
    if not _allowed(environ):
        return _plain(start_response, "403 Forbidden", "Forbidden\n")
    data = _exposition()
    headers = [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(data))), ("Cache-Control", "no-store")]
    start_response("200 OK", headers)
    return [] if method == "HEAD" else [data]
