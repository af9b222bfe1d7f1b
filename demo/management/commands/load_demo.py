from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo import data as demo
from lib.errors import ServiceError
from registry import importers


class Command(BaseCommand):
    help = "Load the synthetic demo dataset (idempotent) and print the demo personas."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="load it in production mode too (a test installation only)"
        )

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION and not options["force"]:
            # The demo's organisations, people, systems and clients would sit beside the real registers.
            raise CommandError(
                "This is a production installation (SYSTEMBRUKER_MODE=production): the demo dataset would add "
                "made-up organisations, people, systems and token clients to the real registers. "
                "Run `load_demo --force` only on a test installation."
            )
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
