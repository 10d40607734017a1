"""The connect wizard ("Połącz firmy"): one client in place, many as a job with a status column filling in."""
