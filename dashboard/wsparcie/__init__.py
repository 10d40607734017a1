"""The support inbox ("Wsparcie"): open problems grouped by class, explained, and fixed from where they are listed."""
