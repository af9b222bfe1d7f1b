"""Staff admin: audit (filled in by the capability that owns it)."""
