"""Staff admin: systems (filled in by the capability that owns it)."""
