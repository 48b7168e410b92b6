"""The catalogue store: a SQLite file of cocktails, searchable by concern."""
