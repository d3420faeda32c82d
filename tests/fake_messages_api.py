"""Local Messages-API server fixtures (owned by the reply work; filled in there)."""
