from registry.admin import audit, catalog, parties, systems, systemusers  # noqa: F401  (registers the ModelAdmins)
