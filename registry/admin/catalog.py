"""Staff admin: catalog (filled in by the capability that owns it)."""
