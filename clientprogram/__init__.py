"""The reference client program (DESIGN.md §3 K.26): what a client runs beside its sales program.

It watches an outbox folder of FA(3) XML files and pushes them to the accounting office's intake API, writes each
invoice's KSeF number and UPO back beside it, and pulls the invoices received for the client into an inbox folder.
It speaks HTTP to the intake API only and imports nothing of the console (an import-linter contract holds this), so
it is exactly what any other program could do with the published OpenAPI document.
"""
