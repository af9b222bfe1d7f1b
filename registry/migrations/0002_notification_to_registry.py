"""The outbox model moves to registry (registry/models/outbox.py); its table stays where it is.

Only Django's state changes: the table approvals_notification, its index and constraint are kept."""

import django.utils.timezone
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("approvals", "0003_notification_to_registry"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("kind", models.CharField(help_text="e.g. request.created, request.escalated", max_length=50)),
                        ("recipient", models.CharField(max_length=300)),
                        ("subject", models.CharField(max_length=300)),
                        ("body", models.TextField()),
                        ("object_id", models.CharField(blank=True, max_length=200)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "pending"),
                                    ("sending", "sending"),
                                    ("sent", "sent"),
                                    ("failed", "failed"),
                                ],
                                default="pending",
                                max_length=10,
                            ),
                        ),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("created", models.DateTimeField(default=django.utils.timezone.now)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                    ],
                    options={
                        "db_table": "approvals_notification",
                        "ordering": ["created"],
                        "indexes": [models.Index(fields=["status", "created"], name="approvals_n_status_7ee39d_idx")],
                        "constraints": [
                            models.UniqueConstraint(fields=("kind", "object_id", "recipient"), name="notification_once")
                        ],
                    },
                ),
            ],
        ),
    ]
