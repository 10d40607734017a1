"""The simulator cannot be bricked through its own admin API: every input is checked and refused whole, bodies are
capped, generation runs off the event loop, and an unexpected error is problem+json that /_sim/health reports."""

from __future__ import annotations

import json
import socket
import threading

import httpx
import pytest

from simulator import invoices
from simulator.api import REGISTRY, Endpoint
from simulator.bodylimit import DEFAULT_LIMIT, INVOICE_LIMIT, limit_for
from simulator.timeutil import MAX_CLOCK_OFFSET_SECONDS
from tests.simulator.flows import CLIENT_NIP, OFFICE_NIP, token_auth

PROBLEM = "application/problem+json"
KEYS_PATH = "/v2/security/public-key-certificates"


def _state(admin) -> dict:
    """The state dump without what moves with time by itself."""
    dump = admin.state()
    dump.pop("now")
    for context in dump["contexts"].values():
        context.pop("hwm")
    return dump


def _assert_refused(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["error"] == body["detail"] and body["instance"] == response.url.path
    assert body["detail"].endswith(".") and body["detail"].count(". ") == 0, body["detail"]  # one sentence
    return body["detail"]


@pytest.fixture
def seeded(admin) -> dict:
    return admin.seed(
        OFFICE_NIP, "Biuro", [{"nip": CLIENT_NIP, "name": "Klient", "scenario": "healthy"}], invoices_per_client=2
    )


# --- the clock and unexpected errors ---------------------------------------------------------------------------


def test_a_huge_clock_offset_is_refused_and_v2_keeps_working(sim, admin, http):
    for offset in (1e12, -1e12, MAX_CLOCK_OFFSET_SECONDS + 1, "86400", True, None):
        detail = _assert_refused(http.post("/_sim/clock", json={"offsetSeconds": offset}))
        assert "offsetSeconds" in detail
    _assert_refused(http.post("/_sim/clock", content=b'{"offsetSeconds": Infinity}'))
    assert http.get(KEYS_PATH).status_code == 200 and admin.state()["clockOffsetSeconds"] == 0
    assert admin.set_clock(-MAX_CLOCK_OFFSET_SECONDS)["offsetSeconds"] == -MAX_CLOCK_OFFSET_SECONDS
    assert http.get(KEYS_PATH).status_code == 200 and admin.health()["status"] == "ok"


def test_an_unexpected_error_is_problem_json_and_health_says_broken(sim, admin, http, monkeypatch):
    async def broken(call):
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setitem(REGISTRY, ("GET", "/security/public-key-certificates"), Endpoint(broken, ()))
    response = http.get(KEYS_PATH)
    assert response.status_code == 500 and response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["title"] == "Internal Server Error" and response.json()["instance"] == KEYS_PATH
    health = httpx.get(f"{sim.url}/_sim/health")
    assert health.status_code == 503 and health.json()["status"] == "broken"
    assert health.json()["unexpectedErrors"] == 1
    assert health.json()["lastUnexpectedError"]["path"] == KEYS_PATH
    assert "ZeroDivisionError" in health.json()["lastUnexpectedError"]["error"]
    admin.reset()
    assert admin.health() == {"status": "ok", "problems": [], "unexpectedErrors": 0, "lastUnexpectedError": None}


def test_a_clock_broken_behind_the_admin_api_is_reported(sim, http):
    """A state file can carry what the admin API refuses; /v2 still answers JSON and health tells the truth."""
    sim.sim.clock.offset_seconds = 1e12
    try:
        health = httpx.get(f"{sim.url}/_sim/health")
        assert health.status_code == 503 and "Zegar" in health.json()["problems"][0]
        response = http.get(KEYS_PATH)
        assert response.status_code == 500 and response.headers["content-type"].startswith(PROBLEM)
    finally:
        sim.sim.clock.offset_seconds = 0


# --- faults and settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"errorRate": 1, "errorStatus": 999},
        {"errorRate": 1, "errorStatus": 404},  # a 4xx has its own KSeF shape; faults send server errors
        {"errorRate": 1, "errorStatus": "503"},
        {"errorRate": 1.5},
        {"timeoutRate": -0.1},
        {"dropRate": True},
        {"latencyMs": 1e9},
        {"rateLimitStormSeconds": 10**7},
        {"unavailableSeconds": -1},
        {"unavailableKind": "OUTAGE"},
        {"scope": "not-a-nip"},
        {"scope": "7279955608"},  # bad check digit
        {"errorRatio": 0.5},  # a typo must not pass silently
    ],
)
def test_bad_fault_settings_are_refused_and_change_nothing(admin, http, body):
    admin.set_faults(latencyMs=10)
    before = _state(admin)
    _assert_refused(http.post("/_sim/faults", json=body))
    assert _state(admin) == before


def test_every_real_server_error_status_can_be_injected(admin, http):
    for status in (500, 502, 507, 511):
        admin.set_faults(errorRate=1, errorStatus=status)
        response = http.get(KEYS_PATH)
        assert response.status_code == status and response.headers["content-type"].startswith(PROBLEM)
    _assert_refused(http.delete("/_sim/faults", params={"scope": "nope"}))
    assert admin.clear_faults()["removed"] == ["global"]


@pytest.mark.parametrize(
    "body",
    [
        {"accessTokenSeconds": 0},
        {"accessTokenSeconds": 10**12},  # a token expiry beyond year 9999 bricked authentication
        {"accessTokenSeconds": 5.5},
        {"refreshTokenSeconds": 8 * 86_400},
        {"authPendingSeconds": "1"},
        {"exportPartSizeBytes": 10},
        {"timeoutSeconds": 10**6},
        {"hwmLagSeconds": -5},
        {"accessTokenSeconds": 60, "permanentStorageLagSeconds": 1e9},  # the good one is not applied either
        {"accessTokenSeconds": 60, "noSuchSetting": 1},
    ],
)
def test_bad_settings_are_refused_and_change_nothing(admin, http, body):
    before = admin.settings()
    _assert_refused(http.post("/_sim/settings", json=body))
    assert admin.settings() == before


# --- every other admin input -----------------------------------------------------------------------------------

TOO_MANY = invoices.MAX_GENERATED // 3000 + 1  # many_invoices clients whose 3,000 invoices each exceed the cap
BAD_INPUTS = [
    ("/_sim/contexts", {"nip": "123"}),
    ("/_sim/contexts", {"nip": CLIENT_NIP, "name": "x" * 257}),
    ("/_sim/contexts", {"nip": CLIENT_NIP, "nickname": "x"}),
    ("/_sim/contexts", [CLIENT_NIP]),
    ("/_sim/seed", {"officeNip": "3692854320"}),
    ("/_sim/seed", {"officeNip": OFFICE_NIP, "clients": {"nip": CLIENT_NIP}}),
    ("/_sim/seed", {"officeNip": OFFICE_NIP, "clients": [{"nip": CLIENT_NIP, "scenario": "bankrupt"}]}),
    ("/_sim/seed", {"officeNip": OFFICE_NIP, "clients": [{"nip": CLIENT_NIP, "token": "x"}]}),
    ("/_sim/seed", {"officeNip": OFFICE_NIP, "clients": [{"nip": CLIENT_NIP}, {"nip": "1"}]}),  # nothing half-done
    ("/_sim/seed", {"officeNip": OFFICE_NIP, "clients": [], "invoicesPerClient": -1}),
    ("/_sim/seed", {"officeNip": OFFICE_NIP, "clients": [{"nip": CLIENT_NIP}] * 1001}),
    ("/_sim/seed", {"officeNip": OFFICE_NIP, "clients": [{"nip": CLIENT_NIP, "scenario": "many_invoices"}] * TOO_MANY}),
    ("/_sim/contexts/7279955607/tokens", {"permissions": []}),
    ("/_sim/contexts/7279955607/tokens", {"permissions": ["InvoiceRead", "Everything"]}),
    ("/_sim/contexts/7279955607/tokens", {"permissions": ["InvoiceRead", "InvoiceRead"]}),
    ("/_sim/contexts/7279955607/tokens", {"permissions": ["InvoiceRead"], "description": "ab"}),
    ("/_sim/contexts/7279955607/tokens/revoke-all", {"all": True}),
    ("/_sim/certificates", {"subjectNip": CLIENT_NIP, "subjectPesel": "15062788702"}),
    ("/_sim/certificates", {}),
    ("/_sim/certificates", {"subjectPesel": "15062788703"}),
    ("/_sim/certificates", {"subjectNip": CLIENT_NIP, "commonName": "x" * 65}),  # X.509 allows 64
    ("/_sim/certificates", {"subjectNip": CLIENT_NIP, "validFrom": "9999-12-31T00:00:00Z"}),
    ("/_sim/certificates", {"subjectNip": CLIENT_NIP, "validTo": "yesterday"}),
    ("/_sim/certificates", {"subjectNip": CLIENT_NIP, "certificateType": "Qualified"}),
    (
        "/_sim/certificates",
        {"subjectNip": CLIENT_NIP, "validFrom": "2026-01-02T00:00:00Z", "validTo": "2026-01-01T00:00:00Z"},
    ),
    ("/_sim/contexts/7279955607/invoices", {"count": invoices.MAX_GENERATED + 1}),
    ("/_sim/contexts/7279955607/invoices", {"count": "5"}),
    ("/_sim/contexts/7279955607/invoices", {}),
    ("/_sim/contexts/7279955607/invoices", {"count": 1, "subjectType": "Subject3"}),
    ("/_sim/contexts/7279955607/invoices", {"count": 1, "spreadDays": 1e9}),
    ("/_sim/contexts/7279955607/invoices", {"count": 1, "counterpartyNip": "12"}),
    ("/_sim/contexts/7279955607/hwm", {"lagSeconds": 1e12}),
    ("/_sim/contexts/7279955607/hwm", {"lagSeconds": -1}),
    ("/_sim/reset", {"keepKeys": True}),
    ("/_sim/stats/reset", {"x": 1}),
    ("/_sim/keys/rotate", {"x": 1}),
    ("/_sim/certificates/0123456789ABCDEF/revoke", {"reason": "x"}),
]


@pytest.mark.parametrize(("path", "body"), BAD_INPUTS, ids=[f"{p}-{i}" for i, (p, _b) in enumerate(BAD_INPUTS)])
def test_bad_admin_input_is_refused_and_changes_nothing(seeded, admin, http, path, body):
    before = _state(admin)
    _assert_refused(http.post(path, json=body))
    assert _state(admin) == before


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b'"text"', b'{"nip": NaN}', b"\xff\xfe"])
def test_malformed_admin_bodies(admin, http, raw):
    _assert_refused(http.post("/_sim/contexts", content=raw))


def test_unknown_context_and_serial_are_404_problems(admin, http):
    _assert_refused(http.post("/_sim/contexts/7279955607/invoices", json={"count": 1}), 404)
    _assert_refused(http.post("/_sim/certificates/0123456789ABCDEF/revoke"), 404)
    _assert_refused(http.get("/_sim/contexts/7279955607/invoices"), 404)


def test_rate_limit_overrides_are_checked(seeded, ksef, http):
    access = token_auth(ksef, CLIENT_NIP, seeded["clients"][0]["ksefToken"]).access_token
    headers = {"Authorization": f"Bearer {access}"}
    current = http.get("/v2/rate-limits", headers=headers).json()
    assert current["global"]["perSecond"] == -1  # "no limit" round-trips
    assert http.post("/v2/testdata/rate-limits", json={"rateLimits": current}, headers=headers).status_code == 200
    for group, values in [
        ("invoiceMetadata", {"perSecond": -2, "perMinute": 1, "perHour": 1}),
        ("invoiceMetadata", {"perSecond": 1, "perMinute": 1, "perHour": 2**31}),
        ("noSuchGroup", {"perSecond": 1, "perMinute": 1, "perHour": 1}),
    ]:
        body = {"rateLimits": {**current, group: values}}
        refused = http.post("/v2/testdata/rate-limits", json=body, headers=headers)
        assert (
            refused.status_code == 400
            and refused.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21405
        )
    assert http.get("/v2/rate-limits", headers=headers).json() == current


# --- generation ------------------------------------------------------------------------------------------------


def test_generation_is_capped_and_drafted_off_the_event_loop(admin, sim, monkeypatch):
    """While a generation is being drafted the server keeps answering: the loop is not the thread drafting."""
    admin.create_context(CLIENT_NIP)
    entered, release = threading.Event(), threading.Event()
    real_draft = invoices.draft
    threads = []

    def held_draft(*args, **kwargs):
        threads.append(threading.current_thread().name)
        entered.set()
        assert release.wait(30)
        return real_draft(*args, **kwargs)

    monkeypatch.setattr(invoices, "draft", held_draft)
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(admin.generate_invoices(CLIENT_NIP, 40, "both")))
    worker.start()
    try:
        assert entered.wait(30)
        assert httpx.get(f"{sim.url}/_sim/health", timeout=10).json()["status"] == "ok"  # answered mid-generation
    finally:
        release.set()
        worker.join(60)
    assert len(result["ksefNumbers"]) == 40 == len(set(admin.invoices(CLIENT_NIP)))
    assert threads and threads[0] != "ksef-simulator"  # SimServer's event-loop thread


def test_seeding_drafts_off_the_event_loop_and_caps_the_total(admin, monkeypatch):
    real_draft, threads = invoices.draft, []

    def recorded(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real_draft(*args, **kwargs)

    monkeypatch.setattr(invoices, "draft", recorded)
    seeded = admin.seed(OFFICE_NIP, "Biuro", [{"nip": CLIENT_NIP, "name": "K", "scenario": "healthy"}], 5)
    assert len(admin.invoices(CLIENT_NIP)) == 5 and seeded["clients"][0]["ksefToken"]
    assert threads and "ksef-simulator" not in threads
    per_client = invoices.MAX_GENERATED // 2 + 1
    with pytest.raises(httpx.HTTPStatusError) as refused:
        admin.seed(OFFICE_NIP, "Biuro", [{"nip": "8437326220"}, {"nip": "6119641348"}], per_client)
    assert str(invoices.MAX_GENERATED) in refused.value.response.json()["error"]


# --- body sizes ------------------------------------------------------------------------------------------------


def _raw(sim, head: str, body: bytes = b"", chunks: list[bytes] | None = None) -> tuple[int, dict]:
    """Send a request by hand (httpx would insist on sending the whole body) and read the answer."""
    with socket.create_connection((sim.host, sim.port), timeout=10) as conn:
        conn.sendall(head.encode() + b"\r\n" + body)
        try:
            for chunk in chunks or []:
                conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except OSError:
            pass  # the server answered and closed before taking everything, as it should
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            data = conn.recv(65536)
            if not data:
                break
            answer += data
    head_part, _, payload = answer.partition(b"\r\n\r\n")
    status = int(head_part.split()[1])
    return status, json.loads(payload) if payload else {}


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def test_declared_oversized_bodies_get_413_without_being_sent(sim, admin):
    for path in ("/_sim/seed", "/v2/auth/challenge", "/v2/sessions/online/X/invoices"):
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 300000000\r\n"
        status, body = _raw(sim, head)  # nothing of the 300 MB is ever sent
        assert status == 413 and body["status"] == 413 and body["title"] == "Content Too Large"
        assert ("error" in body) == path.startswith("/_sim/")
    assert admin.health()["status"] == "ok"


def test_chunked_bodies_are_counted_and_cut_at_the_cap(sim, admin):
    head = "POST /_sim/contexts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    status, body = _raw(sim, head, chunks=[b" " * 100_000] * 30)  # 3 MB, no Content-Length
    assert status == 413 and body["error"].startswith("Treść żądania przekracza 1 MB")
    small = httpx.post(f"{sim.url}/_sim/contexts", content=iter([b'{"nip": ', f'"{CLIENT_NIP}"}}'.encode()]))
    assert small.status_code == 200 and small.json()["nip"] == CLIENT_NIP  # chunked within the cap still works


def test_body_caps_follow_the_ksef_limits():
    assert limit_for("POST", "/v2/sessions/online/20260101-SO-0000000000-0000000000-00/invoices") == INVOICE_LIMIT
    assert limit_for("POST", "/v2/auth/ksef-token") == DEFAULT_LIMIT == limit_for("POST", "/_sim/seed")
    # the largest invoice a TEST override allows (10 MB with attachments), encrypted and Base64-encoded, fits
    assert INVOICE_LIMIT > (10_000_000 + 16 + 2) // 3 * 4 + 2_000


def test_a_body_within_the_cap_reaches_ksef_validation(http):
    response = http.post("/v2/auth/challenge", content=b" " * (DEFAULT_LIMIT - 10))
    assert response.status_code < 500 and response.status_code != 413
