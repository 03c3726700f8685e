"""consumers layer (see ARCHITECTURE.md)."""
