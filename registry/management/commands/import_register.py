from registry import importers
from registry.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import organisations, persons, ER roles and package delegations from a JSON file "
        "(CONTRACT §5). Idempotent; all or nothing."
    )
    importer = importers.import_register
    actor = "command:import_register"
