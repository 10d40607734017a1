"""KSeF environments (PROTOCOL.md §1) and the local simulator."""

from __future__ import annotations

from urllib.parse import urlparse

from core.settings import get_settings
from core.types import KsefEnvironment

API_HOSTS = {
    KsefEnvironment.PROD: "https://api.ksef.mf.gov.pl",
    KsefEnvironment.DEMO: "https://api-demo.ksef.mf.gov.pl",
    KsefEnvironment.TEST: "https://api-test.ksef.mf.gov.pl",
}
# Latarnia (availability): no DEMO host is published; DEMO follows TEST as the official clients do.
LIGHTHOUSE_HOSTS = {
    KsefEnvironment.PROD: "https://api-latarnia.ksef.mf.gov.pl",
    KsefEnvironment.DEMO: "https://api-latarnia-test.ksef.mf.gov.pl",
    KsefEnvironment.TEST: "https://api-latarnia-test.ksef.mf.gov.pl",
}


def host_url(environment: str) -> str:
    """The environment's origin; the SDK appends `/v2`."""
    if environment == KsefEnvironment.SIM:
        return get_settings().sim_url
    return API_HOSTS[KsefEnvironment(environment)]


def api_url(environment: str) -> str:
    return host_url(environment).rstrip("/") + "/v2"


def lighthouse_url(environment: str) -> str:
    if environment == KsefEnvironment.SIM:
        return get_settings().sim_url
    return LIGHTHOUSE_HOSTS[KsefEnvironment(environment)]


def presigned_hosts(environment: str) -> list[str]:
    """Hosts whose pre-signed URLs (UPO, export parts) we fetch: the environment itself plus configured ones."""
    hosts = [urlparse(host_url(environment)).hostname or ""]
    hosts.extend(get_settings().presigned_hosts)
    return [h for h in hosts if h]
