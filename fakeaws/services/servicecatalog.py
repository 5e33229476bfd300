"""Service Catalog (filled below)."""
