"""`ksef-console certificate limits|enroll|list|retrieve|revoke` and `ksef-console campaign tokens
status|switch|instructions` (issue 12 #7): the same services as the Certyfikaty and Wygaszanie tokenów pages."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.cli.common import acting_user, command
from core.jobs.kinds import TokenSwitchResult
from core.jobs.worker import run_now
from core.services import jobs
from core.services.campaign import letters
from core.services.campaign import tokens as campaign
from core.services.certificates import enrollment
from core.texts import Text


def register(commands: Any) -> None:
    group = commands.add_parser("certificate", help="KSeF certificates through the API").add_subparsers(
        dest="action", required=True
    )
    limits = command(group, "limits", _limits, "the identity's certificate limits in KSeF")
    limits.add_argument("--identity", type=int, help="the certificate to act as (default: the office's)")
    enroll = command(group, "enroll", _enroll, "request a certificate (the key is made and sealed here)")
    enroll.add_argument("--name", required=True)
    enroll.add_argument("--type", default="Authentication", choices=["Authentication", "Offline"])
    enroll.add_argument("--key", default="EC", choices=list(enrollment.KEY_TYPES))
    enroll.add_argument("--identity", type=int)
    enroll.add_argument("--wait", action="store_true", help="follow the request here until the certificate is active")
    listing = command(group, "list", _list, "requests made here, or the identity's certificates in KSeF (--ksef)")
    listing.add_argument("--ksef", action="store_true")
    listing.add_argument("--identity", type=int)
    retrieve = command(group, "retrieve", _retrieve, "ask KSeF for a request's status; activate the certificate")
    retrieve.add_argument("enrollment", type=int)
    revoke = command(group, "revoke", _revoke, "revoke a certificate in KSeF and stop using it")
    revoke.add_argument("credential", type=int)
    revoke.add_argument("--reason", default="Unspecified", choices=list(enrollment.REVOCATION_REASONS))

    tokens = (
        commands.add_parser("campaign", help="the token-sunset campaign")
        .add_subparsers(dest="campaign", required=True)
        .add_parser("tokens", help="move every client off its KSeF token")
        .add_subparsers(dest="action", required=True)
    )
    status = command(tokens, "status", _status, "who still depends on a token; --check asks KSeF first")
    status.add_argument("--check", action="store_true", help="ask KSeF whether the office certificate works")
    command(tokens, "switch", _switch, "switch the eligible clients to the office certificate (a job, run here)")
    restore = command(tokens, "restore", _restore, "go back to a switched client's kept token (verified first)")
    restore.add_argument("--nip", required=True)
    instructions = command(tokens, "instructions", _instructions, "e-mail the instruction to the rest (once)")
    instructions.add_argument("--pdf", type=Path, help="write one client's letter as a PDF instead (with --nip)")
    instructions.add_argument("--nip", help="only this client (or, with --pdf, the client whose letter to write)")


def _limits(args: argparse.Namespace) -> Any:
    found = enrollment.certificate_limits(actor=acting_user(args), identity_credential_id=args.identity)
    return {**found.__dict__, "blocked_reason": found.blocked_reason}


def _enroll(args: argparse.Namespace) -> Any:
    actor = acting_user(args)
    started = enrollment.enroll(
        actor=actor, name=args.name, certificate_type=args.type, key_type=args.key, identity_credential_id=args.identity
    )
    if args.wait:
        return enrollment.follow_enrollment(actor=actor, enrollment_id=started.id)
    return started


def _list(args: argparse.Namespace) -> Any:
    actor = acting_user(args)
    if args.ksef:
        return enrollment.query_in_ksef(actor=actor, identity_credential_id=args.identity)
    return enrollment.list_enrollments(actor=actor)


def _retrieve(args: argparse.Namespace) -> Any:
    return enrollment.follow_enrollment(actor=acting_user(args), enrollment_id=args.enrollment)


def _revoke(args: argparse.Namespace) -> Any:
    return enrollment.revoke_in_ksef(actor=acting_user(args), credential_id=args.credential, reason=args.reason)


def _status(args: argparse.Namespace) -> Any:
    actor = acting_user(args)
    found = campaign.check_rights(actor=actor) if args.check else campaign.campaign(actor=actor)
    return {**found.summary(), "clients": found.rows}


def _switch(args: argparse.Namespace) -> Any:
    actor = acting_user(args)
    job_id = campaign.start_switch(actor=actor)
    print(Text("cli.job", id=job_id), file=sys.stderr)
    run_now(job_id, "cli")
    job = jobs.job_progress(actor=actor, job_id=job_id, result=TokenSwitchResult)
    result = job.result or TokenSwitchResult()
    if result.failed or job.status != "done":
        args.exit_code = 1
    return {"job": job_id, "status": job.status, "switched": result.switched, "failed": result.failed}


def _instructions(args: argparse.Namespace) -> Any:
    from core.services.clients import register as clients

    actor = acting_user(args)
    if args.pdf is not None:
        client = clients.find_client_by_nip(actor=actor, nip=args.nip or "")
        args.pdf.write_bytes(letters.letter_pdf(actor=actor, client_id=client.id))
        return {"pdf": str(args.pdf), "client": client.nip}
    chosen = [clients.find_client_by_nip(actor=actor, nip=args.nip).id] if args.nip else None
    sent = letters.send_instructions(actor=actor, client_ids=chosen)
    return {**sent.summary(), "clients": sent.__dict__}


def _restore(args: argparse.Namespace) -> Any:
    from core.services.clients import register as clients

    actor = acting_user(args)
    client = clients.find_client_by_nip(actor=actor, nip=args.nip)
    return {"client": client.nip, "result": campaign.restore_token(actor=actor, client_id=client.id)}
