"""projections layer (see ARCHITECTURE.md)."""
