"""create_client --org ORGNO --scope S [--scope S ...] --public-key FILE [--client-id ID] [--name N]  (CONTRACT §5)"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lib.errors import ServiceError
from maskinporten.clients import register_client
from registry.models import Organisation


class Command(BaseCommand):
    help = "Register a token client with a public key (PEM SubjectPublicKeyInfo or JWK). Prints its client id and kid."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organisation number of the client's owner (the vendor)")
        parser.add_argument("--scope", action="append", required=True, help="An allowed scope; repeat for more")
        parser.add_argument("--public-key", required=True, help="File with a PEM public key or a JWK")
        parser.add_argument("--client-id", default=None, help="Default: a new UUID")
        parser.add_argument("--name", default="")
        parser.add_argument("--kid", default=None, help="Default: the JWK's kid, else the key's RFC 7638 thumbprint")

    def handle(self, *args, org, scope, public_key, client_id, name, kid, **options):
        owner = Organisation.objects.filter(orgno=org, is_deleted=False).first()
        if owner is None:
            raise CommandError(f"Organisation {org} is not in the register (import it first)")
        try:
            text = Path(public_key).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {public_key}: {exc}") from None
        scopes = [s for item in scope for s in item.split()]
        try:
            client, key = register_client(
                owner=owner,
                scopes=scopes,
                public_key=text,
                client_id=client_id,
                name=name,
                kid=kid,
                actor="command:create_client",
            )
        except ServiceError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(f"Registered client {client.client_id} for {owner.name} ({owner.orgno})")
        self.stdout.write(f"Scopes: {' '.join(client.scopes)}")
        self.stdout.write(json.dumps({"client_id": client.client_id, "kid": key.kid}))
