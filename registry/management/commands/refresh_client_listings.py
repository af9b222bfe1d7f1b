from django.core.management.base import BaseCommand

from registry import listings


class Command(BaseCommand):
    help = (
        "Write every firm's list of clients again from the rule (registry.access.holdings_for_clients). "
        "Needed only after roles, delegations or organisations were changed outside the application "
        "(SQL by hand); the importers, the staff admin and the services keep the lists true themselves."
    )

    def handle(self, *args, **options):
        listings.refresh_all()
        self.stdout.write("The firms' lists of clients are written again.")
