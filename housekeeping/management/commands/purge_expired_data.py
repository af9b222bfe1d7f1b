"""purge_expired_data [--dry-run] [--only KIND ...]: blank or delete personal data past its retention period."""

import json

from django.core.management.base import BaseCommand

from housekeeping import retention


class Command(BaseCommand):
    help = (
        "Blank or delete personal data kept longer than the RETENTION_* settings allow (docs/operations.md, "
        "'Data retention'). Prints what went per kind; the last line is JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; change nothing")
        parser.add_argument(
            "--only",
            action="append",
            choices=list(retention.KINDS),
            metavar="KIND",
            help="Only this kind (repeat for more): " + ", ".join(retention.KINDS),
        )

    def handle(self, *args, dry_run, only, **options):
        outcomes = retention.purge_expired_data(only=only, dry_run=dry_run)
        verb = "would be" if dry_run else "were"
        for outcome in outcomes.values():
            since = f" (older than {outcome.older_than:%Y-%m-%d %H:%M})" if outcome.older_than else " (kept for ever)"
            related = "".join(f", {n} {name}" for name, n in outcome.related.items())
            self.stdout.write(f"{outcome.kind}: {outcome.count} {verb} {outcome.action}{since}{related}")
        result = {"dry_run": dry_run, "kinds": {kind: outcome.as_json() for kind, outcome in outcomes.items()}}
        self.stdout.write(json.dumps(result))
