"""Celery tasks for project-wide jobs (beat: CELERY_BEAT_SCHEDULE in config/settings.py)."""

from celery import shared_task

from housekeeping import retention


@shared_task
def purge_expired_data() -> dict[str, int]:
    """Daily: blank or delete personal data past its retention period (housekeeping/retention.py)."""
    return {kind: outcome.count for kind, outcome in retention.purge_expired_data().items()}
