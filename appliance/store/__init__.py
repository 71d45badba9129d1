"""SQLModel tables and every query on them; the only place SQL lives."""
