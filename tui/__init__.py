"""optera-tui: the operator terminal app."""
