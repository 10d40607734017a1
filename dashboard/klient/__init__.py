"""The Klient page's parts: one client's link, company key, credentials, signature, rights, sync and history."""
