"""Staff admin: parties (filled in by the capability that owns it)."""
