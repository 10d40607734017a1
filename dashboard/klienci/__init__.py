"""The Klienci page's parts: filters and table, add and edit forms, archive dialog, file import."""
