"""`GET /security/public-key-certificates`: the simulator's two encryption certificates (PROTOCOL.md §3.1)."""

from __future__ import annotations

from starlette.responses import Response

from simulator import crypto
from simulator.api import Call, endpoint, json_response
from simulator.timeutil import iso


@endpoint("GET", "/security/public-key-certificates")
async def public_key_certificates(call: Call) -> Response:
    return json_response(
        [
            {
                "certificate": crypto.b64(key.certificate_der),
                "certificateId": key.certificate_id,
                "publicKeyId": key.public_key_id,
                "validFrom": iso(key.valid_from),
                "validTo": iso(key.valid_to),
                "usage": key.usage,
            }
            for key in call.sim.active_keys()
        ]
    )
