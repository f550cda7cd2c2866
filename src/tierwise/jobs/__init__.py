"""Background work with its state in the database, so every server process sees it."""
