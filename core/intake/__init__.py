"""The intake API: the HTTP door of the client programs (DESIGN.md §3 K.26); see core/intake/app.py."""
