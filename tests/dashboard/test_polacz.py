"""The Połącz firmy page: pick clients (filtered), the environment (PROD needs a confirmation), the way in; one client
connects at once, many as a job whose status column fills in; "Ponów nieudane" retries only the failed ones."""

from __future__ import annotations

import core.jobs.tasks  # noqa: F401 - registers the task kinds for run_job
from core.jobs import queue
from core.jobs.kinds import BulkLinkResult
from core.jobs.spec import to_json
from core.jobs.worker import drain, run_job
from core.models import ClientCreate, ClientUpdate, LinkOutcome
from core.services import jobs
from core.services.clients import register as clients
from core.services.linking import credentials, links
from core.services.linking.detail import link_details
from core.types import LinkStatus
from dashboard.polacz.wizard import PAGE_SIZE
from tests import seeding
from tests.dashboard.conftest import frame_with, open_page, values
from tests.factories import valid_nips
from tests.linking import TOKEN, office_certificate
from tests.simulated import seed_clients


def with_tokens(sim, office, scenarios):
    seeded = seed_clients(sim, office, scenarios)
    for name, client_id in seeded.ids.items():
        credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token(name))
    return seeded


def test_one_client_connects_at_once(sim, signed_in, office):
    seeded = with_tokens(sim, office, ["healthy"])
    at = open_page(signed_in("support"), "polacz")
    at.multiselect(key="polacz_clients").select(seeded.ids["healthy"]).run()
    assert at.button(key="polacz_start").label == "Połącz 1 klienta"
    at.button(key="polacz_start").click().run()
    assert not at.error and not at.exception
    assert values(at.success) == ["Firma healthy: połączenie działa (status: połączony)."]
    assert clients.get_client(actor=office.manager, client_id=seeded.ids["healthy"]).link_status == LinkStatus.linked


def test_bulk_runs_as_a_job_with_a_status_column_and_retries_the_failed(sim, signed_in, office):
    seeded = with_tokens(sim, office, ["healthy", "token_revoked", "healthy"])
    at = open_page(signed_in("support"), "polacz")
    at.button(key="polacz_select_all").click().run()
    assert sorted(at.session_state["polacz_clients"]) == sorted(seeded.ids.values())
    at.button(key="polacz_start").click().run()
    job_id = at.session_state["polacz_job"]
    assert at.button(key="polacz_start").disabled  # one run at a time

    # While the job runs, each client's result appears as it comes.
    (job,) = queue.claim("test-worker", job_id=job_id)
    first = seeded.ids["healthy"]
    partial = BulkLinkResult({first: LinkOutcome(first, True, "linked", "", "Połączenie działa.")})
    queue.set_progress(job_id, 1, 3, result=to_json(partial))
    at.run()
    (bar,) = at.get("progress")
    assert bar.text == "Łączenie firm: 1 z 3"
    results = frame_with(at, "Wynik").set_index("Klient")
    assert results.loc["Firma healthy", "Wynik"] == "połączono"
    assert results.loc["Firma token_revoked", "Status połączenia"] == "⏳ czeka"

    run_job(job, "test-worker")  # the worker that claimed it finishes the job
    at.run()
    results = frame_with(at, "Wynik").set_index("Klient")
    assert results.loc["Firma token_revoked", "Wynik"] == "Nieważne poświadczenie"
    assert results.loc["Firma token_revoked", "Status połączenia"] == "wymaga działania"
    assert results.loc["Firma healthy2", "Status połączenia"] == "połączony"
    assert values(at.warning) == ["Nie udało się połączyć 1 klienta (udane: 2). Przyczyny są w tabeli."]
    retry = at.button(key="polacz_retry")
    assert retry.label == "Ponów nieudane (1)"
    retry.click().run()
    assert at.session_state["polacz_job"] != job_id
    assert at.session_state["polacz_job_clients"] == [seeded.ids["token_revoked"]]
    assert jobs.job_progress(actor=office.support, job_id=at.session_state["polacz_job"]).status == "pending"


def test_the_office_certificate_links_clients_that_granted_rights(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy", "rights_missing"])
    office_certificate(seeded)
    at = open_page(signed_in("manager"), "polacz")
    at.radio(key="polacz_method").set_value("office_certificate").run()
    assert at.selectbox(key="polacz_office_certificate").value is not None
    at.button(key="polacz_select_all").click().run()
    at.button(key="polacz_start").click().run()
    drain()
    at.run()
    results = frame_with(at, "Wynik").set_index("Klient")
    assert results.loc["Firma healthy", "Status połączenia"] == "połączony"
    assert results.loc["Firma rights_missing", "Wynik"] == "Brak uprawnień"


def test_without_an_office_certificate_the_method_cannot_start(signed_in, office):
    nip = valid_nips(1, seed=8)[0]
    clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name="Firma A"))
    at = open_page(signed_in("support"), "polacz")
    at.button(key="polacz_select_all").click().run()
    at.radio(key="polacz_method").set_value("office_certificate").run()
    assert values(at.warning) == ["Biuro nie ma certyfikatu: wgraj go na stronie „Certyfikaty i tokeny”."]
    assert at.button(key="polacz_start").disabled


def test_prod_needs_the_explicit_confirmation(signed_in, office):
    nip = valid_nips(1, seed=9)[0]
    client = clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name="Firma Produkcyjna"))
    clients.update_client(actor=office.manager, client_id=client.id, data=ClientUpdate(environment="PROD"))
    at = open_page(signed_in("support"), "polacz")
    at.multiselect(key="polacz_clients").select(client.id).run()
    confirm = at.checkbox(key="polacz_prod")
    assert confirm.label == "Potwierdzam połączenie z PROD: dokumenty wysłane do PROD mają skutki prawne."
    at.button(key="polacz_start").click().run()
    assert values(at.error) == [
        "Popraw dane:\n- Klient pracuje w środowisku produkcyjnym: potwierdź połączenie z PROD."
    ]


def test_the_filter_narrows_the_choice(signed_in, office):
    nips = valid_nips(2, seed=10)
    for index, nip in enumerate(nips):
        clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name=f"Firma {index}"))
    at = open_page(signed_in("support"), "polacz")
    assert len(at.multiselect(key="polacz_clients").options) == 2
    at.segmented_control(key="polacz_show").set_value("problems").run()
    assert at.multiselect(key="polacz_clients").options == []
    at.segmented_control(key="polacz_show").set_value("all").run()
    at.text_input(key="polacz_search").input(nips[1]).run()
    assert len(at.multiselect(key="polacz_clients").options) == 1


def test_by_default_a_linked_client_keeps_its_method_and_a_switch_says_how_many_it_will_try(sim, signed_in, office):
    seeded = with_tokens(sim, office, ["healthy", "healthy"])
    linked = seeded.ids["healthy"]
    assert links.connect_client(actor=office.support, client_id=linked, request=TOKEN).ok
    certificate = office_certificate(seeded)
    at = open_page(signed_in("manager"), "polacz")
    at.segmented_control(key="polacz_show").set_value("all").run()
    at.button(key="polacz_select_all").click().run()
    at.radio(key="polacz_method").set_value("office_certificate").run()
    choice = at.radio(key="polacz_linked")
    assert choice.value == "keep"
    assert choice.options == [
        "zostaw obecny sposób; połącz tylko niepołączonych",
        "zmień sposób także u połączonych (spróbuje zmienić 1 działające połączenie)",
    ]
    at.button(key="polacz_start").click().run()
    drain("test-worker")
    at.run()
    results = frame_with(at, "Wynik").set_index("Klient")
    assert results.loc["Firma healthy", "Komunikat"] == "Połączony — zostawiono obecny sposób uwierzytelnienia."
    details = link_details(actor=office.manager, client_id=linked)
    assert details is not None and details.credential_id != certificate
    assert link_details(actor=office.manager, client_id=linked).auth_method == "ksef_token"


def test_a_missing_office_certificate_is_uploaded_in_place_and_the_connect_goes_on(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy"])
    material = seeded.office_certificate
    at = open_page(signed_in("manager"), "polacz")
    at.multiselect(key="polacz_clients").select(seeded.ids["healthy"]).run()
    at.radio(key="polacz_method").set_value("office_certificate").run()
    assert at.button(key="polacz_start").disabled
    assert "Biuro nie ma certyfikatu" in values(at.warning)[0]
    files = (("certificate", "biuro.pem", material["certificatePem"]), ("key", "biuro.key", material["privateKeyPem"]))
    for name, file_name, content in files:
        (uploader,) = [u for u in at.file_uploader if u.key.startswith(f"polacz_cert_{name}_")]
        uploader.upload(file_name, content.encode(), "application/octet-stream")
    at.run()
    at.button(key="polacz_cert_submit").click().run()
    assert not at.error, values(at.error)
    assert values(at.success)[0].startswith("Wgrano certyfikat ")
    assert at.selectbox(key="polacz_office_certificate").value is not None
    assert at.multiselect(key="polacz_clients").value == [seeded.ids["healthy"]]  # the choice was kept
    at.button(key="polacz_start").click().run()
    assert values(at.success)[-1] == "Firma healthy: połączenie działa (status: połączony)."


def test_a_client_without_a_token_is_named_so_not_an_internal_error(sim, signed_in, office):
    seeded = with_tokens(sim, office, ["healthy"])
    nip = valid_nips(3, seed=97)[-1]
    bare = clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name="Firma bez tokenu")).id
    at = open_page(signed_in("support"), "polacz")
    at.multiselect(key="polacz_clients").set_value([seeded.ids["healthy"], bare]).run()
    at.button(key="polacz_start").click().run()
    drain()
    at.run()
    results = frame_with(at, "Wynik").set_index("Klient")
    assert results.loc["Firma bez tokenu", "Wynik"] == "brak tokenu"
    assert results.loc["Firma healthy", "Wynik"] == "połączono"


def test_a_register_larger_than_a_page_offers_one_page_and_choose_all_takes_every_match(signed_in, office):
    ids = seeding.add_clients(office, PAGE_SIZE + 12, prefix="Klient")
    for client_id in ids[-4:]:
        seeding.set_link_status(client_id, LinkStatus.error)
    not_linked = ids[:-4]  # by name, as the page orders them
    at = open_page(signed_in("support"), "polacz")
    assert _names(at) == [f"Klient {i:02d}" for i in range(1, PAGE_SIZE + 1)]
    assert at.number_input(key="polacz_page").max == 2
    assert at.button(key="polacz_select_all").label == f"Wybierz wszystkich pasujących ({len(not_linked)})"

    # A choice on page 2 stays when page 1 is shown and chosen from.
    at.number_input(key="polacz_page").set_value(2).run()
    assert len(at.multiselect(key="polacz_clients").options) == len(not_linked) - PAGE_SIZE
    at.multiselect(key="polacz_clients").select(not_linked[-1]).run()
    at.number_input(key="polacz_page").set_value(1).run()
    at.multiselect(key="polacz_clients").select(not_linked[0]).run()
    assert at.session_state["polacz_chosen"] == [not_linked[-1], not_linked[0]]
    assert at.button(key="polacz_start").label == "Połącz 2 klientów"

    # Every client matching the filter, the ones on no page shown included; the list still holds one page.
    at.button(key="polacz_select_all").click().run()
    assert sorted(at.session_state["polacz_chosen"]) == sorted(not_linked)
    assert len(at.multiselect(key="polacz_clients").options) == PAGE_SIZE
    assert at.button(key="polacz_start").label == f"Połącz {len(not_linked)} klientów"
    at.segmented_control(key="polacz_show").set_value("problems").run()
    assert _names(at) == [f"Klient {i:02d}" for i in range(59, 63)]
    assert all(option.endswith(" — błąd") for option in at.multiselect(key="polacz_clients").options)
    at.button(key="polacz_select_all").click().run()
    assert sorted(at.session_state["polacz_chosen"]) == sorted(ids)
    assert all(type(value) is int for value in at.session_state["polacz_chosen"])  # ids only, never a row
    at.button(key="polacz_clear").click().run()
    assert at.session_state["polacz_chosen"] == [] and at.button(key="polacz_start").disabled


def _names(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [option.split(" — ")[0] for option in at.multiselect(key="polacz_clients").options]
