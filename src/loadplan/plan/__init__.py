"""Plans: the one validated object that flows down from the CLI into the library."""
