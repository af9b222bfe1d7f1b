"""tokend_config OUT.json [--connections N]: tokend's configuration from this application (tokend/README.md)."""

import json
import os

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from maskinporten import tokend


class Command(BaseCommand):
    help = (
        "Write the configuration of tokend, the token fast path, from this application's settings and code: "
        "its statements, rules, keys and limits. The file holds the database password: it is written 0600."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", help="The file to write (tokend's first argument)")
        parser.add_argument("--connections", type=int, default=4, help="Database connections per tokend (4)")

    def handle(self, *args, out, connections, **options):
        if connections < 1:
            raise CommandError("--connections must be at least 1")
        try:
            data = tokend.config(connections_per_process=connections)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(data, file, indent=1)
        os.chmod(out, 0o600)
        self.stdout.write(f"wrote {out} (rules version {data['version']})")
