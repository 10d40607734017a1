"""The Certyfikaty i tokeny page: the credential list with days left and Polish statuses, uploads (PEM + key and
PKCS#12 + password, for the office or a client) with each certificate error in Polish, tokens, revoking in a
dialog, and the token sunset counter. No secret stays in session state."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from core.services.linking import credentials, links
from core.services.linking.links import LinkRequest
from core.types import AuthMethod, utcnow
from tests.dashboard.conftest import frame_with, open_page, values, whole_session_state
from tests.linking import link_with_token, office_certificate
from tests.simulated import seed_clients

LIST, UPLOAD, TOKEN, SUNSET = "Lista", "Wgraj certyfikat", "Dodaj token", "Koniec tokenów"


def open_tab(at, tab: str):
    at.session_state["certyfikaty_tabs"] = tab
    return open_page(at, "certyfikaty")


def upload(at, files: dict[str, tuple[str, bytes]], password: str = ""):
    """Fill the upload form (after the owner and the format are chosen) and submit it."""
    for name, (file_name, content) in files.items():
        (uploader,) = [u for u in at.file_uploader if u.key.startswith(f"certyfikaty_cert_{name}_")]
        uploader.upload(file_name, content, "application/octet-stream")
    at.run()
    if password:
        at.text_input(key="certyfikaty_cert_password").input(password)
    at.button(key="certyfikaty_cert_submit").click()
    return at.run()


def test_office_certificate_upload_pem_and_key(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy"])
    material = seeded.office_certificate
    at = open_tab(signed_in("support"), UPLOAD)
    at.selectbox(key="certyfikaty_cert_target").select(0).run()
    at = upload(
        at,
        {
            "certificate": ("biuro.pem", material["certificatePem"].encode()),
            "key": ("biuro.key", material["privateKeyPem"].encode()),
        },
    )
    assert not at.error, values(at.error)
    (done,) = values(at.success)
    assert done.startswith("Wgrano certyfikat ") and "ważny do" in done
    assert material["privateKeyPem"].splitlines()[1] not in whole_session_state(at)
    assert not [u for u in at.file_uploader if u.value]  # fresh, empty uploaders
    at = open_tab(at, LIST)
    frame = frame_with(at, "Dni do końca")
    assert frame["Właściciel"].tolist() == ["Biuro (dla wszystkich klientów)"]
    assert frame["Rodzaj"].tolist() == ["certyfikat uwierzytelniający"]
    assert frame["Status"].tolist() == ["przesłany do autoryzacji"]
    assert frame["Dni do końca"].iloc[0] > 30


def test_pkcs12_for_a_client_and_a_wrong_password(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["cert_expiring"])
    material = seeded.certificate("cert_expiring")
    key = serialization.load_pem_private_key(material["privateKeyPem"].encode(), password=None)
    certificate = x509.load_pem_x509_certificate(material["certificatePem"].encode())
    bundle = pkcs12.serialize_key_and_certificates(
        b"klient", key, certificate, None, serialization.BestAvailableEncryption(b"tajne-haslo")
    )
    at = open_tab(signed_in("manager"), UPLOAD)
    at.selectbox(key="certyfikaty_cert_target").select(seeded.ids["cert_expiring"])
    at.radio(key="certyfikaty_cert_format").set_value("p12").run()
    at = upload(at, {"pkcs12": ("klient.p12", bundle)}, password="zle-haslo")
    assert values(at.error) == ["Popraw dane:\n- Nieprawidłowe hasło do pliku PKCS#12 (.p12/.pfx)."]
    assert at.text_input(key="certyfikaty_cert_password").value == ""
    assert "zle-haslo" not in whole_session_state(at)
    at = upload(at, {"pkcs12": ("klient.p12", bundle)}, password="tajne-haslo")
    assert not at.error, values(at.error)
    assert "tajne-haslo" not in whole_session_state(at)
    at = open_tab(at, LIST)
    frame = frame_with(at, "Dni do końca")
    assert frame["Właściciel"].iloc[0].startswith("Firma cert_expiring (NIP ")
    assert frame["Dni do końca"].iloc[0] < 30  # shown in red


def test_certificate_file_errors_are_named(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy", "cert_expired"])
    other = sim.create_certificate(subject_nip=seeded.nips["healthy"], common_name="Inny")
    own = sim.create_certificate(subject_nip=seeded.nips["healthy"], common_name="Klient")
    offline = sim.create_certificate(subject_nip=seeded.nips["healthy"], certificate_type="Offline")
    expired = seeded.certificate("cert_expired")
    cases = [
        ({"certificate": ("x.pem", b"to nie certyfikat"), "key": ("k.pem", own["privateKeyPem"].encode())}, "nie"),
        (
            {
                "certificate": ("c.pem", own["certificatePem"].encode()),
                "key": ("k.pem", other["privateKeyPem"].encode()),
            },
            "klucz",
        ),
        ({"certificate": ("c.pem", own["certificatePem"].encode())}, "Wybierz plik klucza prywatnego"),
        (
            {
                "certificate": ("e.pem", expired["certificatePem"].encode()),
                "key": ("e.key", expired["privateKeyPem"].encode()),
            },
            "wygasł",
        ),
        (
            {
                "certificate": ("o.pem", offline["certificatePem"].encode()),
                "key": ("o.key", offline["privateKeyPem"].encode()),
            },
            "Offline",
        ),
    ]
    at = open_tab(signed_in("support"), UPLOAD)
    for files, expected in cases:
        at.selectbox(key="certyfikaty_cert_target").select(seeded.ids["healthy"])
        at = upload(at, files)
        (message,) = values(at.error)
        assert message.startswith("Popraw dane:\n- ") and expected in message, (files.keys(), message)
    assert credentials.list_credentials(actor=office.manager) == []


def test_a_token_for_a_chosen_client_and_revoking_it_in_a_dialog(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy"])
    token = seeded.token("healthy")
    at = open_tab(signed_in("support"), TOKEN)
    at.text_input(key="certyfikaty_token_value").input(token)
    at.button(key="certyfikaty_token_submit").click().run()
    assert values(at.error) == ["Wybierz klienta, do którego należy token."]
    at.selectbox(key="certyfikaty_token_target").select(seeded.ids["healthy"])
    at.text_input(key="certyfikaty_token_value").input(token)
    at.button(key="certyfikaty_token_submit").click().run()
    assert values(at.success) == ["Dodano token KSeF **Token KSeF**."]
    assert token not in whole_session_state(at)

    at = open_tab(at, LIST)
    assert frame_with(at, "Status")["Status"].tolist() == ["aktywny"]
    at.button(key="certyfikaty_revoke").click().run()
    assert any(text.startswith("Unieważnić **token KSeF · Token KSeF · Firma healthy") for text in values(at.markdown))
    at.button(key="certyfikaty_revoke_confirm").click().run()
    assert values(at.success) == ["Unieważniono poświadczenie **Token KSeF**."]
    assert values(at.info) == ["Brak poświadczeń. Wgraj certyfikat albo dodaj token."]


def test_the_token_sunset_counter_goes_to_zero(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy", "healthy"])
    link_with_token(seeded, "healthy")
    link_with_token(seeded, "healthy2")
    at = open_tab(signed_in("manager"), SUNSET)
    count, days = at.metric
    assert (count.label, count.value) == ("Klienci łączący się tokenem", "2")
    assert days.label == "Dni do 31.12.2026"
    assert values(at.warning) == ["2 klientów nadal łączy się tokenem; przenieś ich na certyfikat przed 31.12.2026."]
    assert sorted(frame_with(at, "Klient")["Klient"]) == ["Firma healthy", "Firma healthy2"]

    # Both move to the office certificate, which they granted rights to.
    request = LinkRequest(AuthMethod.ksef_certificate, credential_id=office_certificate(seeded))
    for client_id in seeded.ids.values():
        assert links.connect_client(actor=office.manager, client_id=client_id, request=request).ok
    at.run()
    assert at.metric[0].value == "0"
    assert values(at.success) == ["Żaden klient nie łączy się już tokenem KSeF."]


def test_the_sunset_counts_every_client_on_a_token_and_lists_only_the_first(signed_in, office, monkeypatch):
    from core import db
    from core.models import Link
    from core.types import KsefEnvironment
    from dashboard.certyfikaty import sunset
    from tests import seeding

    monkeypatch.setattr(sunset, "LISTED", 2)
    ids = seeding.add_clients(office, 4)
    with db.session_scope(write=True) as session:
        for client_id in ids[:3]:
            session.add(Link(client_id=client_id, environment=KsefEnvironment.SIM, auth_method=AuthMethod.ksef_token))
    at = open_tab(signed_in("support"), SUNSET)
    assert at.metric[0].value == "3"
    assert values(at.warning)[0].startswith("3 klientów nadal łączy się tokenem")
    assert frame_with(at, "Klient")["Klient"].tolist() == ["Firma 01", "Firma 02"]
    assert "Pokazano pierwszych 2 z 3 (według nazwy)" in " ".join(values(at.caption))


def test_days_left_counts_from_today(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy"])
    valid_to = (utcnow() + timedelta(days=12, hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    material = sim.create_certificate(subject_nip=seeded.nips["healthy"], common_name="Krótki", valid_to=valid_to)
    credentials.add_certificate(
        actor=office.support,
        client_id=seeded.ids["healthy"],
        certificate=material["certificatePem"].encode(),
        private_key=material["privateKeyPem"].encode(),
    )
    frame = frame_with(open_tab(signed_in("support"), LIST), "Dni do końca")
    assert frame["Dni do końca"].tolist() == [12]


def test_expired_and_revoked_read_as_such_offline_apart_and_sorted_by_expiry(sim, signed_in, office):
    import sqlalchemy as sa

    from core import db
    from core.models import Credential

    seeded = seed_clients(sim, office, ["healthy"])
    nip = seeded.nips["healthy"]
    added = []
    for name, kind in (("Późny", "Authentication"), ("Wczesny", "Authentication"), ("Offline", "Offline")):
        material = sim.create_certificate(subject_nip=nip, common_name=name, certificate_type=kind)
        added.append(
            credentials.add_certificate(
                actor=office.manager,
                client_id=seeded.ids["healthy"],
                label=name,
                certificate=material["certificatePem"].encode(),
                private_key=material["privateKeyPem"].encode(),
                for_authentication=kind == "Authentication",
            )
        )
    _late, early, _offline = added
    with db.session_scope(write=True) as session:  # "Wczesny" expired two days ago
        session.execute(
            sa.update(Credential).where(Credential.id == early.id).values(valid_to=utcnow() - timedelta(days=2))
        )
    at = open_tab(signed_in("manager"), LIST)
    frame, offline_frame = [d.value for d in at.dataframe if "Dni do końca" in d.value.columns]
    assert frame["Nazwa"].tolist() == ["Wczesny", "Późny"]  # sorted by expiry
    assert frame["Status"].tolist() == ["wygasły", "przesłany do autoryzacji"]
    assert offline_frame["Rodzaj"].tolist() == ["certyfikat offline"]
    assert offline_frame["Status"].tolist() == ["poprawnie dodany"]


def test_a_certificate_is_requested_from_the_page_after_the_limits(sim, signed_in, office):
    from core.jobs.worker import drain

    seeded = seed_clients(sim, office, ["healthy"])
    office_certificate(seeded)
    at = open_tab(signed_in("manager"), "Wniosek o certyfikat")
    assert at.button(key="enroll_submit").disabled  # limits first
    at.button(key="enroll_check_limits").click().run()
    assert not at.error, values(at.error)
    assert [m.value for m in at.metric] == ["300 / 300", "99 / 100"]
    assert any("Dane do certyfikatu (z KSeF): " in c and "5265877635" in c for c in values(at.caption))
    at.text_input(key="enroll_name").input("Biuro uwierzytelnianie 2027")
    at.button(key="enroll_submit").click().run()
    assert not at.error, values(at.error)
    assert values(at.success) == [
        "Wniosek „Biuro uwierzytelnianie 2027” złożony; certyfikat pojawi się na liście, gdy KSeF go wyda."
    ]
    drain("test-worker")
    at.run()
    table = frame_with(at, "Komunikat")
    assert table["Status"].tolist() == ["aktywny"]
    at = open_tab(at, LIST)
    assert "Biuro uwierzytelnianie 2027" in frame_with(at, "Dni do końca")["Nazwa"].tolist()


def test_the_credential_calendar_shows_every_date_filters_and_exports(sim, signed_in, office):
    from core.services.certificates import calendar as credential_calendar

    seeded = seed_clients(sim, office, ["healthy", "healthy"])
    link_with_token(seeded, "healthy")
    office_certificate(seeded)
    material = sim.create_certificate(subject_nip=seeded.nips["healthy2"], certificate_type="Offline")
    credentials.add_certificate(
        actor=office.manager, client_id=seeded.ids["healthy2"], label="Offline klienta",
        certificate=material["certificatePem"].encode(), private_key=material["privateKeyPem"].encode(),
        for_authentication=False,
    )  # fmt: skip
    at = open_tab(signed_in("manager"), "Kalendarz")
    frame = frame_with(at, "Dni do terminu")
    assert sorted(frame["Rodzaj"].tolist()) == sorted(
        ["wygaśnięcie certyfikatu uwierzytelniającego", "wygaśnięcie certyfikatu offline", "koniec tokenów KSeF"]
    )
    assert frame.loc[frame["Rodzaj"] == "koniec tokenów KSeF", "Termin"].tolist() == ["31.12.2026"]
    assert frame.loc[frame["Rodzaj"] == "koniec tokenów KSeF", "Właściciel"].tolist() == ["Firma healthy"]
    assert len(at.get("plotly_chart")) == 1
    at.multiselect(key="calendar_kinds").set_value(["offline_certificate"]).run()
    assert frame_with(at, "Dni do terminu")["Nazwa"].tolist() == ["Offline klienta"]

    events = credential_calendar.credential_calendar(actor=office.manager)
    data = credential_calendar.export_calendar(actor=office.manager, events=events, fmt="csv")
    text = data.decode("utf-8")
    assert text.startswith("\ufeffTermin;Rodzaj;") and "31.12.2026;koniec tokenów KSeF;Firma healthy" in text
    assert "PRIVATE" not in text


def test_a_certificate_is_revoked_in_ksef_with_its_reason(sim, signed_in, office):
    from core.jobs.worker import drain
    from core.services.certificates import enrollment

    seeded = seed_clients(sim, office, ["healthy"])
    office_certificate(seeded)
    started = enrollment.enroll(actor=office.manager, name="Do unieważnienia")
    drain("test-worker")
    (done,) = enrollment.list_enrollments(actor=office.manager)
    at = open_tab(signed_in("manager"), LIST)
    at.selectbox(key="certyfikaty_revoke_pick").select(done.credential_id).run()
    at.selectbox(key="certyfikaty_revoke_reason").select("Superseded").run()
    at.button(key="certyfikaty_revoke").click().run()
    at.button(key="certyfikaty_revoke_confirm").click().run()
    assert not at.error, values(at.error)
    in_ksef = {c["certificateSerialNumber"]: c["status"] for c in enrollment.query_in_ksef(actor=office.manager)}
    assert in_ksef[done.serial_number] == "Revoked" and started.id == done.id
