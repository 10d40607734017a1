"""The admin API contract (seed, contexts, tokens, certificates, invoices, HWM, settings), faults, the clock,
Latarnia and state persistence."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from ksef_client import KsefClient, KsefClientOptions
from ksef_client.exceptions import KsefHttpError, KsefRateLimitError

from simulator import persistence
from simulator.demo import load_demo
from simulator.runtime import Simulator
from simulator.testing import SimAdmin, SimServer
from tests.simulator.flows import CLIENT_NIP, OFFICE_NIP, OTHER_NIP, filters, token_auth, xades_auth

CERTIFICATE_KEYS = {
    "certificatePem",
    "privateKeyPem",
    "serialNumber",
    "fingerprint",
    "validFrom",
    "validTo",
    "certificateType",
}
SCENARIOS = [
    "healthy",
    "rights_missing",
    "token_revoked",
    "cert_expired",
    "cert_expiring",
    "many_invoices",
    "no_invoices",
    "wrong_company_key",
]
NIPS = ["7279955607", "8437326220", "6119641348", "4397359291", "4751966403", "4703886362", "1698929008", "2757228467"]


def test_seed_contract_and_idempotency(admin):
    clients = [{"nip": nip, "name": f"Klient {s}", "scenario": s} for nip, s in zip(NIPS, SCENARIOS, strict=True)]
    first = admin.seed(OFFICE_NIP, "Biuro Rachunkowe Test", clients, invoices_per_client=4)
    assert first["office"]["nip"] == OFFICE_NIP and set(first["office"]["certificate"]) >= CERTIFICATE_KEYS
    assert first["office"]["certificate"]["certificateType"] == "Authentication"
    by_scenario = {client["scenario"]: client for client in first["clients"]}
    assert {c["scenario"] for c in first["clients"]} == set(SCENARIOS)
    for scenario in ("healthy", "rights_missing", "token_revoked", "many_invoices", "no_invoices", "wrong_company_key"):
        assert by_scenario[scenario]["ksefToken"] and by_scenario[scenario]["certificate"] is None
    for scenario in ("cert_expired", "cert_expiring"):
        assert by_scenario[scenario]["ksefToken"] is None
        assert set(by_scenario[scenario]["certificate"]) >= CERTIFICATE_KEYS
    assert len(admin.invoices(by_scenario["many_invoices"]["nip"])) == 3000
    assert admin.invoices(by_scenario["no_invoices"]["nip"]) == []
    assert len(admin.invoices(by_scenario["healthy"]["nip"])) == 4
    again = admin.seed(OFFICE_NIP, "Biuro Rachunkowe Test", clients, invoices_per_client=4)
    assert again == first


def test_demo_seed_from_committed_file(admin, ksef):
    office = load_demo()
    seeded = admin.seed_demo()
    assert seeded["office"]["nip"] == office["nip"] and seeded["office"]["accountId"] == office["accountId"]
    assert [c["nip"] for c in seeded["clients"]] == [c["nip"] for c in office["clients"]]
    healthy = next(c for c in seeded["clients"] if c["scenario"] == "healthy")
    result = token_auth(ksef, healthy["nip"], healthy["ksefToken"])
    page = ksef.invoices.query_invoice_metadata(filters("Subject2", days=89), access_token=result.access_token)
    assert page.invoices
    admin.reset()
    assert admin.seed_demo()["clients"][1]["ksefToken"] == seeded["clients"][1]["ksefToken"]  # deterministic


def test_admin_shortcuts(admin, ksef):
    admin.create_context(CLIENT_NIP, "Klient Testowy")
    token = admin.create_token(CLIENT_NIP, ["InvoiceRead"])
    assert token["referenceNumber"] in token["token"]
    access = token_auth(ksef, CLIENT_NIP, token["token"]).access_token
    numbers = admin.generate_invoices(CLIENT_NIP, 6, "Subject2", spread_days=3)["ksefNumbers"]
    assert admin.invoices(CLIENT_NIP, "Subject2") == sorted(numbers) and admin.invoices(CLIENT_NIP, "Subject1") == []
    assert {
        i.ksef_number
        for i in ksef.invoices.query_invoice_metadata(filters("Subject2", "Issue", 5), access_token=access).invoices
    } == set(numbers)
    assert admin.revoke_all_tokens(CLIENT_NIP) == {"revoked": 1}
    with pytest.raises(RuntimeError, match="450"):
        token_auth(ksef, CLIENT_NIP, token["token"])
    person = admin.create_certificate(subject_pesel="90010112349", common_name="Anna Nowak")
    assert person["certificateType"] == "Authentication"
    with pytest.raises(RuntimeError, match="415"):  # a person without grants
        xades_auth(ksef, CLIENT_NIP, person["certificatePem"], person["privateKeyPem"])
    with pytest.raises(httpx.HTTPStatusError):
        admin.create_token("1111111111", ["InvoiceRead"])
    with pytest.raises(httpx.HTTPStatusError):
        admin.settings(noSuchSetting=1)
    assert admin.settings(accessTokenSeconds=5)["accessTokenSeconds"] == 5
    dump = admin.state()
    assert token["token"] not in json.dumps(dump) and CLIENT_NIP in dump["contexts"]


def _client(sim) -> KsefClient:
    return KsefClient(KsefClientOptions(base_url=sim.api_url, base_lighthouse_url=sim.url, timeout_seconds=5))


def test_latency_error_and_scoped_faults(admin, sim):
    admin.create_context(CLIENT_NIP)
    admin.set_faults(latencyMs=200)
    with _client(sim) as client:
        started = time.perf_counter()
        client.security.get_public_key_certificates()
        assert time.perf_counter() - started >= 0.2
        admin.set_faults(errorRate=1.0)
        with pytest.raises(KsefHttpError) as error:
            client.security.get_public_key_certificates()
        assert error.value.status_code == 503
        admin.clear_faults()
        token = admin.create_token(CLIENT_NIP, ["InvoiceRead"])["token"]
        access = token_auth(client, CLIENT_NIP, token).access_token
        admin.set_faults(OTHER_NIP, errorRate=1.0)  # another context's fault leaves this one alone
        assert client.limits.get_context_limits(access_token=access)
        admin.set_faults(CLIENT_NIP, rateLimitStormSeconds=30)
        with pytest.raises(KsefRateLimitError) as storm:
            client.limits.get_context_limits(access_token=access)
        assert 1 <= storm.value.retry_after <= 30
        admin.clear_faults(CLIENT_NIP)
        assert client.limits.get_context_limits(access_token=access)


def test_dropped_connections_and_timeouts(admin, sim):
    admin.set_faults(dropRate=1.0)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{sim.api_url}/security/public-key-certificates", timeout=5)
    admin.settings(timeoutSeconds=0.3)
    admin.set_faults(timeoutRate=1.0)
    assert httpx.get(f"{sim.api_url}/security/public-key-certificates", timeout=5).status_code == 504
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{sim.api_url}/security/public-key-certificates", timeout=0.1)
    admin.clear_faults()
    assert httpx.get(f"{sim.api_url}/security/public-key-certificates", timeout=5).status_code == 200


def test_unavailability_and_latarnia(admin, sim):
    with _client(sim) as client:
        assert client.lighthouse.get_status().status.value == "AVAILABLE"
        admin.set_faults(unavailableSeconds=60, unavailableKind="MAINTENANCE")
        status = client.lighthouse.get_status()
        assert status.status.value == "MAINTENANCE" and status.messages[0].category.value == "MAINTENANCE"
        assert client.lighthouse.get_messages()[0].end
        with pytest.raises(KsefHttpError) as error:
            client.auth.get_challenge()
        assert error.value.status_code == 503 and error.value.retry_after >= 59
        admin.clear_faults()
        assert client.lighthouse.get_status().status.value == "AVAILABLE"


def test_clock_offset_moves_kSeF_time(admin, ksef):
    before = ksef.auth.get_challenge().timestamp_ms
    assert admin.set_clock(86_400)["offsetSeconds"] == 86_400
    after = ksef.auth.get_challenge().timestamp_ms
    assert 86_399_000 < after - before < 86_500_000
    admin.set_clock(0)


def test_stats_count_requests_and_reset(admin, ksef):
    admin.reset_stats()
    ksef.auth.get_challenge()
    stats = admin.stats()
    assert stats["requests"] == 1 and stats["byGroup"]["anonymous"]["requests"] == 1
    assert stats["ownTime"]["count"] == 1
    admin.reset_stats()
    assert admin.stats()["requests"] == 0


def test_state_survives_a_restart(tmp_path):
    path = tmp_path / "state.json"
    with SimServer(state_file=path) as first, SimAdmin(first.url) as admin:
        seeded = admin.seed(
            OFFICE_NIP, "Biuro", [{"nip": CLIENT_NIP, "name": "Klient", "scenario": "healthy"}], invoices_per_client=3
        )
    restored = persistence.load(path)
    assert restored is not None and len(restored.invoices) == 3
    with SimServer(Simulator(restored)) as second, _client(second) as client:
        result = token_auth(client, CLIENT_NIP, seeded["clients"][0]["ksefToken"])
        page = client.invoices.query_invoice_metadata(
            filters("Subject1", "Issue", 85), access_token=result.access_token
        )
        both = (
            page.invoices
            + client.invoices.query_invoice_metadata(
                filters("Subject2", "Issue", 85), access_token=result.access_token
            ).invoices
        )
        assert len(both) == 3
        office = seeded["office"]["certificate"]
        assert xades_auth(client, CLIENT_NIP, office["certificatePem"], office["privateKeyPem"]).access_token


def test_state_is_saved_periodically(tmp_path, monkeypatch):
    from simulator import app as app_module

    monkeypatch.setattr(app_module, "SAVE_INTERVAL_SECONDS", 0.05)
    path = tmp_path / "state.json"
    with SimServer(state_file=path) as server, SimAdmin(server.url) as admin:
        admin.create_context(CLIENT_NIP, "Zapisany Klient")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "Zapisany Klient" not in (
            path.read_text("utf-8") if path.exists() else ""
        ):
            time.sleep(0.05)
        assert "Zapisany Klient" in path.read_text("utf-8")  # written while the server still runs


def test_requests_are_recorded_for_a_replay_and_rate_windows_can_be_forgotten(admin, ksef, http):
    seeded = admin.seed(OFFICE_NIP, "Biuro", [{"nip": CLIENT_NIP, "name": "K", "scenario": "healthy"}], 0)
    access = token_auth(ksef, CLIENT_NIP, seeded["clients"][0]["ksefToken"]).access_token
    headers = {"Authorization": f"Bearer {access}"}
    assert admin.record_requests(True) == {"recording": True}
    assert http.get("/v2/rate-limits", headers=headers).status_code == 200
    admin.record_requests(False)
    http.get("/v2/rate-limits", headers=headers)  # after the recording stopped: not kept
    (recorded,) = admin.recorded_requests()
    assert (recorded["method"], recorded["path"]) == ("GET", "/v2/rate-limits")
    assert recorded["headers"]["authorization"] == f"Bearer {access}"
    limits = {"perSecond": 1, "perMinute": 1, "perHour": 1}
    body = ksef.rate_limits.get_rate_limits(access_token=access).to_dict() | {"invoiceMetadata": limits}
    assert http.post("/v2/testdata/rate-limits", json={"rateLimits": body}, headers=headers).is_success
    query = {"subjectType": "Subject1", "dateRange": {"dateType": "PermanentStorage", "from": "2026-11-01T00:00:00Z"}}
    assert http.post("/v2/invoices/query/metadata", json=query, headers=headers).status_code == 200
    assert http.post("/v2/invoices/query/metadata", json=query, headers=headers).status_code == 429
    admin.reset_rate_limits()
    assert http.post("/v2/invoices/query/metadata", json=query, headers=headers).status_code == 200
