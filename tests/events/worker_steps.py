"""Steps the webhook worker test runs in a separate process, against the database the worker uses.

python -m tests.events.worker_steps subscribe <url>  → a vendor subscribed to <url>; prints its secret
python -m tests.events.worker_steps reject           → a customer rejects a request; prints the event id
python -m tests.events.worker_steps deliveries       → prints [[status, attempts, [status codes]]]
"""

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def subscribe() -> None:
    from registry import webhooks
    from tests import factories as f

    vendor = f.make_org("Fakturaprogrammet AS")
    f.make_system(vendor, "fakturering")
    _, secret = webhooks.create_subscription(vendor=vendor, url=sys.argv[2], event_types=[], actor="test")
    print(json.dumps(secret))


def reject() -> None:
    from approvals.system_user_requests import reject_request
    from registry.models import RegisteredSystem, VendorEvent
    from tests import factories as f
    from tests.approvals.conftest import make_request

    customer = f.make_org("Bakeriet Nordmann AS")
    manager = f.make_person("Kari Nordmann")
    f.give_role(manager, "DAGL", customer)
    request_obj = make_request(RegisteredSystem.objects.get(), customer)
    reject_request(request_id=request_obj.id, by=manager)  # the event, its delivery, after commit a task
    print(json.dumps(str(VendorEvent.objects.get(subject=str(request_obj.id)).id)))


def deliveries() -> None:
    from registry.models import WebhookDelivery

    print(
        json.dumps(
            [
                [d.status, d.attempts, [a.status_code for a in d.attempt_log.all()]]
                for d in WebhookDelivery.objects.order_by("created")
            ]
        )
    )


if __name__ == "__main__":
    import django

    django.setup()
    {"subscribe": subscribe, "reject": reject, "deliveries": deliveries}[sys.argv[1]]()
