"""Connecting clients to KSeF and verifying their links, one or many at a time (DESIGN.md §3 A.3).

A connection attempt: check the company key and the credential locally, authenticate in the client's context, ask
KSeF what the office may do there, record the outcome (problem opened or closed) and recompute the link status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace

from sqlmodel import Session, col, select

from core import audit
from core.db import session_scope
from core.errors import InvalidInput, NotFound
from core.ids import parse_company_key
from core.jobs.kinds import LINK_CONNECT, LINK_VERIFY, BulkLinkResult, LinkConnectPayload, LinkVerifyPayload
from core.jobs.queue import start_job
from core.jobs.spec import Progress, no_progress
from core.ksef.auth import token_context_nip
from core.ksef.errors import KsefFailure
from core.ksef.limiter import store_limits
from core.ksef.transcript import Transcript
from core.models import Client, Credential, Link, LinkOutcome, LinkRequest, Office
from core.security import Actor, Permission
from core.services import problems
from core.services.linking import keys as company_keys
from core.services.linking.connection import LinkFacts, link_facts, open_ksef
from core.services.linking.credentials import wrong_client_message
from core.services.linking.keys import check_key, require_key
from core.services.linking.status import PAUSING_CLASSES, READ, WRITE, active_link, refresh_link_status
from core.services.scope import client_in_office, clients_in_office, credential_in_office, require_clients
from core.texts import Text
from core.types import AuthMethod, KsefEnvironment, LinkStatus, ProblemClass, utcnow
from core.vault import unseal_text

log = logging.getLogger(__name__)

OPERATION = "link"
SYNC_OPERATION = "sync"  # core.services.sync.outcome.OPERATION (the sync package imports this one)
BULK_CONCURRENCY = 16


def connect_client(*, actor: Actor, client_id: int, request: LinkRequest) -> LinkOutcome:
    """Connect a client, or change how it is connected (DESIGN.md §9: a failed attempt never replaces working state).

    A client without a link gets one and the attempt's outcome (a problem when it fails). A client that has a link is
    first tried with the new method, credential and key, and the link is changed only when that works; when it fails,
    the link stays exactly as it was and the failure comes back beside it (`kept=True`)."""
    actor.require(Permission.run_operations)
    _check_request(request)
    with session_scope(write=True) as session:
        candidate, has_link = _candidate(session, actor, client_id, request)
        audit.record(session, actor, "link.connect", f"client:{client_id}", method=request.auth_method)
    if not has_link:
        with session_scope(write=True) as session:
            facts = _write_link(session, candidate)
        return _attempt(facts, actor)
    return _try_then_switch(candidate, actor)


def _try_then_switch(candidate: LinkFacts, actor: Actor) -> LinkOutcome:
    failure, permissions, transcript = _try(candidate, actor)
    if failure is None:
        with session_scope(write=True) as session:
            facts = _write_link(session, candidate)
        return _record(facts, None, permissions, transcript)
    with session_scope(write=True) as session:
        client = session.get(Client, candidate.client_id)
        status = client.link_status if client is not None else LinkStatus.not_linked
        # The kept link's history says a new way was tried and why it did not replace the current one.
        audit.record(
            session, actor, "link.change_refused", f"client:{candidate.client_id}",
            method=candidate.auth_method, problem=failure.problem_class,
        )  # fmt: skip
    return LinkOutcome(
        candidate.client_id,
        False,
        status,
        failure.problem_class,
        Text("link.kept", message=failure.message),
        kept=True,
    )


def verify_link(*, actor: Actor, client_id: int) -> LinkOutcome:
    """Re-check an existing link (the support inbox's "retry" and the scheduled health check)."""
    actor.require(Permission.run_operations)
    with session_scope(write=True) as session:
        _own_client(session, actor, client_id)
        try:
            facts = link_facts(session, client_id)
        except KsefFailure as failure:
            return LinkOutcome(
                client_id, False, refresh_link_status(session, client_id), failure.problem_class, failure.message
            )
        audit.record(session, actor, "link.verify", f"client:{client_id}")
    return _attempt(facts, actor)


def use_current_key(*, actor: Actor, client_id: int) -> LinkOutcome:
    """The fix for a wrong company key, and the step after a key reissue: try the link with this client's own
    current key and put the key on the link only when it works."""
    actor.require(Permission.run_operations)
    with session_scope(write=True) as session:
        link = active_link(session, client_id)
        client, office = session.get(Client, client_id), session.get(Office, actor.office_id)
        if link is None or client is None or office is None or client.office_id != actor.office_id:
            raise NotFound(Text("link.nothing_to_fix"))
        try:
            current = link_facts(session, client_id)
        except KsefFailure as failure:
            raise NotFound(Text("link.nothing_to_fix")) from failure
        candidate = replace(current, company_key=require_key(session, client, office))
        audit.record(session, actor, "link.use_current_key", f"client:{client_id}")
    return _try_then_switch(candidate, actor)


def reissue_key(*, actor: Actor, client_id: int) -> tuple[str, LinkOutcome | None]:
    """Reissue the client's company key (the old one stops at once) and, when the client has a link, try the link
    with the new key; it goes on the link only when that works (`use_current_key`)."""
    key = company_keys.reissue_company_key(actor=actor, client_id=client_id)
    with session_scope() as session:
        linked = active_link(session, client_id) is not None
    if not linked or not actor.can(Permission.run_operations):
        return key, None
    return key, use_current_key(actor=actor, client_id=client_id)


def unlink_client(*, actor: Actor, client_id: int) -> str:
    actor.require(Permission.archive_clients)
    with session_scope(write=True) as session:
        _own_client(session, actor, client_id)
        link = active_link(session, client_id)
        if link is None:
            raise NotFound(Text("link.not_linked"))
        link.unlinked_at = utcnow()
        session.add(link)
        problems.resolve(session, client_id=client_id, operations=[OPERATION], reason="unlinked")
        audit.record(session, actor, "link.unlink", f"client:{client_id}")
        return refresh_link_status(session, client_id)


def _own_client(session: Session, actor: Actor, client_id: int) -> Client:
    return client_in_office(session, actor, client_id)


def _request_credential_in_office(session: Session, actor: Actor, request: LinkRequest) -> None:
    if request.credential_id is not None:
        credential_in_office(session, actor, request.credential_id)


def _check_request(request: LinkRequest) -> None:
    if request.auth_method not in set(AuthMethod):
        raise InvalidInput(Text("link.unknown_method", method=repr(request.auth_method)))
    if request.environment is not None and request.environment not in set(KsefEnvironment):
        raise InvalidInput(Text("environment.unknown", environment=repr(request.environment)))
    if request.environment == KsefEnvironment.PROD and not request.confirm_production:
        raise InvalidInput(Text("link.confirm_production"))
    if request.company_key is not None:
        parse_company_key(request.company_key)  # a malformed key is nobody's key: refused before anything is written


def _candidate(session: Session, actor: Actor, client_id: int, request: LinkRequest) -> tuple[LinkFacts, bool]:
    """The link the request asks for, not yet written, and whether the client already has a link to protect."""
    client = client_in_office(session, actor, client_id)
    office = session.get(Office, actor.office_id)
    if office is None or client.archived_at is not None:
        raise NotFound(Text("client.not_found_active", id=client_id))
    environment = KsefEnvironment(request.environment or client.environment)
    method = AuthMethod(request.auth_method)
    if environment == KsefEnvironment.PROD and not request.confirm_production:
        raise InvalidInput(Text("link.client_in_production"))
    credential = _pick_credential(session, actor, client, request)
    link = active_link(session, client_id)
    if request.company_key and link is not None and link.company_key and client.link_status == LinkStatus.linked:
        # A working link keeps its key unless the new one is right: a wrong key is refused, never stored.
        checked = check_key(session, office=office, client=client, raw_key=request.company_key, context_nip=None)
        if not checked.ok:
            raise InvalidInput(Text("link.key_refused", message=checked.message, fix=checked.fix))
    # A link never attempted (its writer was killed before trying it) protects nothing: the retry is its first try.
    has_link = link is not None and link.credential_id is not None and link.last_attempt_at is not None
    assert client.id is not None and credential.id is not None
    facts = LinkFacts(
        office_id=client.office_id,
        client_id=client.id,
        client_name=client.name,
        nip=client.nip,
        environment=environment,
        link_id=link.id if link is not None and link.id is not None else 0,
        auth_method=method,
        credential_id=credential.id,
        company_key=request.company_key or (link.company_key if link else "") or require_key(session, client, office),
        send_enabled=link.send_enabled if request.send_enabled is None and link else bool(request.send_enabled),
    )
    return facts, has_link


def _write_link(session: Session, facts: LinkFacts) -> LinkFacts:
    """Put the candidate on the client's link (a new link when it has none) and return the link's facts."""
    link = active_link(session, facts.client_id)
    if link is None:
        link = Link(
            client_id=facts.client_id,
            environment=KsefEnvironment(facts.environment),
            auth_method=AuthMethod(facts.auth_method),
        )
    link.environment = KsefEnvironment(facts.environment)
    link.auth_method = AuthMethod(facts.auth_method)
    link.credential_id = facts.credential_id
    link.company_key = facts.company_key
    link.send_enabled = facts.send_enabled
    session.add(link)
    session.flush()
    return link_facts(session, facts.client_id)


def _pick_credential(session: Session, actor: Actor, client: Client, request: LinkRequest) -> Credential:
    if request.credential_id is not None:
        chosen = credential_in_office(session, actor, request.credential_id)
        if chosen.revoked_at is not None:
            raise InvalidInput(Text("link.credential_gone"))
        if chosen.client_id not in (None, client.id):
            raise InvalidInput(Text("link.credential_other_client", client=client.name))
        if chosen.kind != request.auth_method:
            raise InvalidInput(Text("link.credential_wrong_method"))
        return chosen
    if request.auth_method in {AuthMethod.qualified_signature, AuthMethod.trusted_profile}:
        raise InvalidInput(Text("link.sign_instead"))
    credential = session.exec(
        select(Credential)
        .where(Credential.client_id == client.id, Credential.kind == request.auth_method)
        .where(Credential.revoked_at == None)  # noqa: E711 - SQL NULL comparison
        .order_by(Credential.id.desc())  # type: ignore[union-attr]
    ).first()
    if credential is None:
        kind = "token" if request.auth_method == AuthMethod.ksef_token else "certificate"
        raise InvalidInput(Text(f"link.no_{kind}", client=client.name))
    return credential


def _local_check(session: Session, facts: LinkFacts) -> KsefFailure | None:
    """Checks that need no network: the company key and the credential's bound context."""
    office = session.get(Office, facts.office_id)
    client = session.get(Client, facts.client_id)
    credential = session.get(Credential, facts.credential_id)
    assert office is not None and client is not None and credential is not None
    context = None
    if credential.kind == AuthMethod.ksef_token and credential.secret_ciphertext is not None:
        context = token_context_nip(unseal_text(credential, "secret_ciphertext"))
        if context is not None and context != client.nip:
            actor = _system(facts)
            return KsefFailure(ProblemClass.wrong_company_key, wrong_client_message(session, actor, client, context))
    result = check_key(session, office=office, client=client, raw_key=facts.company_key, context_nip=context)
    if not result.ok:
        return KsefFailure(
            ProblemClass.wrong_company_key,
            Text("link.key_refused", message=result.message, fix=result.fix),
            details={"key": result.failure},
        )
    if credential.valid_to is not None and credential.valid_to < utcnow():
        return KsefFailure(
            ProblemClass.invalid_credentials,
            Text("link.certificate_expired", valid_to=f"{credential.valid_to:%d.%m.%Y}"),
        )
    return None


def _system(facts: LinkFacts) -> Actor:
    return Actor.system("worker", facts.office_id)


def _try(facts: LinkFacts, actor: Actor) -> tuple[KsefFailure | None, list[str], Transcript]:
    """Check the link locally, authenticate and ask KSeF for the rights; nothing is written about the link."""
    with session_scope() as session:
        failure = _local_check(session, facts)
    transcript = Transcript()
    permissions: list[str] = []
    if failure is None:
        try:
            with open_ksef(facts, actor, transcript=transcript) as call:
                permissions = call.run(call.permissions)
                store_limits(facts.environment, facts.nip, call.run(call.gateway.rate_limits))
        except KsefFailure as error:
            failure = error
    if failure is None:
        failure = _rights_failure(facts, permissions)
    return failure, permissions, transcript


def _attempt(facts: LinkFacts, actor: Actor) -> LinkOutcome:
    failure, permissions, transcript = _try(facts, actor)
    return _record(facts, failure, permissions, transcript)


def _rights_failure(facts: LinkFacts, permissions: list[str]) -> KsefFailure | None:
    held = set(permissions)
    if READ not in held and "Owner" not in held:
        return KsefFailure(
            ProblemClass.missing_rights,
            Text("link.no_invoice_read", client=facts.client_name, nip=facts.nip),
            details={"held": sorted(held), "missing": [READ] + ([WRITE] if facts.send_enabled else [])},
        )
    return None


def _record(
    facts: LinkFacts, failure: KsefFailure | None, permissions: list[str], transcript: Transcript
) -> LinkOutcome:
    now = utcnow()
    with session_scope(write=True) as session:
        link = session.get(Link, facts.link_id)
        assert link is not None
        link.last_attempt_at = now
        if failure is None:
            link.last_success_at = now
            link.key_verified_at = now
            link.permissions = permissions
            link.permissions_checked_at = now
            problems.resolve(session, client_id=facts.client_id, operations=[OPERATION])
            # A working link proves what a sync paused for (credentials, key, read rights) is fixed: syncs resume.
            problems.resolve(
                session, client_id=facts.client_id, operations=[SYNC_OPERATION], reason="link_verified",
                classes=PAUSING_CLASSES,
            )  # fmt: skip
        else:
            if failure.problem_class == ProblemClass.missing_rights:
                link.permissions = list(failure.details.get("held", []))
                link.permissions_checked_at = now
            problems.record_failure(
                session,
                office_id=facts.office_id,
                client_id=facts.client_id,
                operation=OPERATION,
                failure=failure,
                transcript=transcript.tail(),
            )
        session.add(link)
        session.flush()
        status = refresh_link_status(session, facts.client_id)
    if failure is None:
        return LinkOutcome(facts.client_id, True, status, message=Text("link.works"))
    return LinkOutcome(facts.client_id, False, status, failure.problem_class, failure.message)


# --- many clients at once: a job -----------------------------------------------------------------------------------


WORKING = frozenset({LinkStatus.linked, LinkStatus.degraded})


def working_links(client_ids: Sequence[int]) -> set[int]:
    """Of these clients, those whose link works now (linked or degraded): what a method switch would change."""
    with session_scope() as session:
        rows = session.exec(select(Client.id, Client.link_status).where(col(Client.id).in_(list(client_ids)))).all()
    return {client_id for client_id, status in rows if client_id is not None and status in WORKING}


def connect_or_keep(*, actor: Actor, client_id: int, request: LinkRequest, switch_linked: bool = False) -> LinkOutcome:
    """The connect wizard's rule: by default a client whose link works keeps its method and is not touched; switching
    it is an explicit choice, and even then the switch happens only when the new way works (`connect_client`)."""
    actor.require(Permission.run_operations)
    with session_scope() as session:
        status = client_in_office(session, actor, client_id).link_status
    if not switch_linked and working_links([client_id]):
        return LinkOutcome(client_id, True, status, message=Text("link.kept_current"))
    return connect_client(actor=actor, client_id=client_id, request=request)


def start_bulk_connect(
    *, actor: Actor, client_ids: list[int], request: LinkRequest, switch_linked: bool = False
) -> int:
    """Queue the connect wizard's work; the page follows the job's progress and per-client results."""
    actor.require(Permission.run_operations)
    _check_request(request)
    if not client_ids:
        raise InvalidInput(Text("link.choose_clients"))
    payload = LinkConnectPayload(client_ids=tuple(client_ids), request=request, switch_linked=switch_linked)
    with session_scope(write=True) as session:
        clients_in_office(session, actor, client_ids)
        _request_credential_in_office(session, actor, request)
        job = start_job(
            session,
            actor,
            LINK_CONNECT,
            payload,
            action="link.bulk_connect",
            subject=Text("job.subject.clients", count=len(client_ids)),
            clients=len(client_ids),
        )
    return job.id


def start_bulk_verify(*, actor: Actor, client_ids: list[int]) -> int:
    """Re-verify many links (the inbox's "retry the whole group", the demo seed, the scheduled health check)."""
    with session_scope(write=True) as session:
        return queue_bulk_verify(session, actor, client_ids)


def queue_bulk_verify(session: Session, actor: Actor, client_ids: list[int]) -> int:
    """`start_bulk_verify` in the caller's transaction."""
    actor.require(Permission.run_operations)
    clients_in_office(session, actor, client_ids)
    job = start_job(
        session,
        actor,
        LINK_VERIFY,
        LinkVerifyPayload(client_ids=tuple(client_ids)),
        action="link.bulk_verify",
        subject=Text("job.subject.clients", count=len(client_ids)),
        clients=len(client_ids),
    )
    return job.id


def _run_bulk(client_ids: Sequence[int], attempt: Callable[[int], LinkOutcome], progress: Progress) -> BulkLinkResult:
    """Run `attempt(client_id)` for every client in parallel; one failure never stops the rest."""
    results: dict[int, LinkOutcome] = {}
    progress(0, len(client_ids), force=True)
    with ThreadPoolExecutor(max_workers=BULK_CONCURRENCY, thread_name_prefix="link") as pool:
        futures = {pool.submit(attempt, client_id): client_id for client_id in client_ids}
        for future in as_completed(futures):
            client_id = futures[future]
            try:
                results[client_id] = future.result()
            except Exception as error:  # an unexpected bug for one client must not stop the others
                results[client_id] = _unexpected(client_id, error)
            progress(len(results), len(client_ids), result=BulkLinkResult(dict(results)))
    return BulkLinkResult(results)


def _unexpected(client_id: int, error: Exception) -> LinkOutcome:
    """An attempt that ended in an unexpected error is a problem of the client's link like any other: it shows in the
    inbox and, being transient, the link-retry schedule tries it again. A person reads "Błąd wewnętrzny"; the error's
    type goes to the log (its text may quote anything)."""
    failure = KsefFailure(ProblemClass.internal, Text("problem.internal.title"))
    log.warning("client %s: the connect attempt ended in %s", client_id, type(error).__name__)
    try:
        with session_scope(write=True) as session:
            client = session.get(Client, client_id)
            if client is not None:
                problems.record_failure(
                    session, office_id=client.office_id, client_id=client_id, operation=OPERATION, failure=failure
                )
            status = refresh_link_status(session, client_id)
    except Exception:  # the database itself failing: the job's result still tells the attempt failed
        log.exception("recording the failed attempt of client %s", client_id)
        status = LinkStatus.error
    return LinkOutcome(client_id, False, status, ProblemClass.internal, failure.message)


def input_failure(error: InvalidInput | NotFound) -> str:
    """The code of a connect attempt refused before KSeF was asked (the client's input, not a failure class):
    `no_token`, `no_certificate`, or `input`."""
    key = getattr(error.message, "key", "")
    return {"link.no_token": "no_token", "link.no_certificate": "no_certificate"}.get(key, "input")


def bulk_connect(
    *,
    actor: Actor,
    client_ids: Sequence[int],
    request: LinkRequest,
    switch_linked: bool = False,
    progress: Progress = no_progress,
) -> BulkLinkResult:
    """The bulk connect job's body: `connect_client` for each client, each checked and audited on its own."""
    actor.require(Permission.run_operations)
    require_clients(actor, client_ids)  # a foreign id is refused whole: nothing of another office is touched

    def attempt(client_id: int) -> LinkOutcome:
        try:
            return connect_or_keep(actor=actor, client_id=client_id, request=request, switch_linked=switch_linked)
        except (InvalidInput, NotFound) as error:
            with session_scope(write=True) as session:
                status = refresh_link_status(session, client_id)
            return LinkOutcome(client_id, False, status, input_failure(error), error.message)

    return _run_bulk(client_ids, attempt, progress)


def bulk_verify(*, actor: Actor, client_ids: Sequence[int], progress: Progress = no_progress) -> BulkLinkResult:
    """The bulk verify job's body: `verify_link` for each client."""
    actor.require(Permission.run_operations)
    require_clients(actor, client_ids)
    return _run_bulk(client_ids, lambda client_id: verify_link(actor=actor, client_id=client_id), progress)
