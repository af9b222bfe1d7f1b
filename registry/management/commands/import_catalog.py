from registry import importers
from registry.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import access packages and resources with policies from a JSON file (CONTRACT §5); adds to or "
        "updates the built-in catalog. Idempotent; all or nothing."
    )
    importer = importers.import_catalog
    actor = "command:import_catalog"
