"""Moja firma: a client user's own company — its link status, its documents (received and sent, KSeF numbers, UPOs)
and the actions the office allowed. Only the client role gets this page; the services check the binding again."""

from dashboard.auth import require_client
from dashboard.clientside.my_company import my_company_page

my_company_page(require_client())
