"""The KSeF gateway: the only package that imports `ksef_client`.

It adds what the SDK does not have: a rate limiter per (environment, context NIP, endpoint group) shared by all
workers, a session cache per (client, credential), a masked transcript of every call, pre-signed URL fetching with an
allow-list, and the classification of every failure into the problem classes of DESIGN.md §3 G.17.
"""

from core.ksef.errors import KsefFailure
from core.ksef.gateway import KsefGateway

__all__ = ["KsefFailure", "KsefGateway"]
