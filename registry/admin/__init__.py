from registry.admin import audit, catalog, parties, systems  # noqa: F401  (registers the ModelAdmins)
