"""Streamlit glue: the entry (app.py), login, navigation per role, texts, and components the pages share."""
