"""The outbox model moves to registry (registry/models/outbox.py); its table stays where it is.

Only Django's state changes: the table approvals_notification, its index and constraint are kept."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0002_notification_claim"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(
                    model_name="notification",
                    name="approvals_n_status_7ee39d_idx",
                ),
                migrations.RemoveConstraint(
                    model_name="notification",
                    name="notification_once",
                ),
                migrations.DeleteModel(
                    name="Notification",
                ),
            ],
        ),
    ]
