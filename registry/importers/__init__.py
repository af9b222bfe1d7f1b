"""Register and catalog files (CONTRACT §5): read, validate, apply.

Two steps. Validation reads the whole document and collects *every* problem with its place (JSON
line and path, e.g. `line 12: organisations[3].orgno: ...`); when there is any, nothing is written.
Applying runs in one transaction and writes only what differs, so importing the same file twice
changes nothing and a later file adds to (or updates) what is there. The management commands, the
demo loader and the staff admin forms share these checks.
"""

from registry.importers.catalog import CatalogRows, apply_catalog, import_catalog, validate_catalog
from registry.importers.common import (
    Counts,
    InvalidImport,
    Problem,
    Summary,
    action_problem,
    emails_problem,
    orgno_problem,
    package_code_problem,
    parse_json,
    pid_problem,
    read_json_file,
    resource_id_problem,
)
from registry.importers.register import RegisterRows, apply_register, import_register, validate_register

__all__ = [
    "CatalogRows",
    "Counts",
    "InvalidImport",
    "Problem",
    "RegisterRows",
    "Summary",
    "action_problem",
    "apply_catalog",
    "apply_register",
    "emails_problem",
    "import_catalog",
    "import_register",
    "orgno_problem",
    "package_code_problem",
    "parse_json",
    "pid_problem",
    "read_json_file",
    "resource_id_problem",
    "validate_catalog",
    "validate_register",
]
