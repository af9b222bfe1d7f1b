"""Small helpers that several apps use. Imports no app of ours (see docs/architecture.md)."""
