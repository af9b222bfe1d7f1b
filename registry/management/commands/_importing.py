"""What the two import commands share: read the file, import, turn problems into a CommandError."""

from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from registry import importers


class ImportCommand(BaseCommand):
    importer: Callable[..., importers.Summary]
    actor: str

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the JSON file to import")
        parser.add_argument("--dry-run", action="store_true", help="check and count, but write nothing")

    def handle(self, *args, file: str, dry_run: bool, **options) -> None:
        try:
            summary = type(self).importer(importers.read_json_file(file), actor=self.actor, dry_run=dry_run)
        except importers.InvalidImport as exc:
            raise CommandError(exc.report(file)) from None
        except IntegrityError as exc:
            # Only when someone else wrote the same rows between our check and our write.
            message = f"{file}: the register changed during the import, nothing imported; run it again ({exc})"
            raise CommandError(message) from None
        self.stdout.write(str(summary))
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        elif not summary.changed:
            self.stdout.write("Nothing changed.")
