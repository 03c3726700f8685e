"""dashboard layer (see ARCHITECTURE.md)."""
