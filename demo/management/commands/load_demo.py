from django.core.management.base import BaseCommand, CommandError

from demo import data as demo
from lib.errors import ServiceError
from registry import importers


class Command(BaseCommand):
    help = "Load the synthetic demo dataset (idempotent) and print the demo personas."

    def handle(self, *args, **options) -> None:
        try:
            summary = demo.load_demo()
        except importers.InvalidImport as exc:
            raise CommandError(exc.report("demo dataset")) from None
        except ServiceError as exc:
            # E.g. staff removed a demo persona's role, so it can no longer create the demo system access.
            raise CommandError(f"The demo dataset could not be loaded: {exc}") from None
        self.stdout.write(str(summary))
        self.stdout.write("")
        self.stdout.write(demo.describe())
