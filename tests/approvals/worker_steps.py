"""Steps the Celery-worker test runs in a separate process, against the database the worker uses.

python -m tests.approvals.worker_steps create     → makes a vendor request, prints its notification ids
python -m tests.approvals.worker_steps states     → prints {notification id: status} as JSON
"""

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def create() -> None:
    from django.db import transaction

    from approvals.notifications import notify_request_created
    from registry.models import Notification
    from tests import factories as f
    from tests.approvals.conftest import make_request

    with transaction.atomic():
        vendor = f.make_org("Fakturaprogrammet AS")
        customer = f.make_org("Bakeriet Nordmann AS", email=sys.argv[2] if len(sys.argv) > 2 else "")
        request_obj = make_request(f.make_system(vendor, "fakturering"), customer)
        notify_request_created(request_obj)  # the outbox row, and after commit a task on the broker
    print(
        json.dumps(
            [str(pk) for pk in Notification.objects.filter(object_id=str(request_obj.pk)).values_list("pk", flat=True)]
        )
    )


def states() -> None:
    from registry.models import Notification

    print(json.dumps({str(n.pk): n.status for n in Notification.objects.all()}))


if __name__ == "__main__":
    import django

    django.setup()
    {"create": create, "states": states}[sys.argv[1]]()
