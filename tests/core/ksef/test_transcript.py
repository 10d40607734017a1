"""The support bundle never carries a secret: tokens, keys, signatures, bearer headers and pre-signed queries."""

from core.ksef.transcript import Transcript, mask_headers, mask_text, mask_url

SECRETS = ["eyJhbGciOiJIUzI1NiJ9.access", "eyJ.refresh", "c2VjcmV0LWtleQ==", "20261122-EC-AB|nip-5265877635|s3cr3t"]


def test_json_secrets_are_masked_at_any_depth():
    body = (
        '{"accessToken": {"token": "eyJhbGciOiJIUzI1NiJ9.access", "validUntil": "2026-11-22T10:00:00Z"},'
        ' "refreshToken": {"token":"eyJ.refresh"}, "encryption": {"encryptedSymmetricKey": "c2VjcmV0LWtleQ=="},'
        ' "ksefToken": "20261122-EC-AB|nip-5265877635|s3cr3t",'
        ' "referenceNumber": "20261122-AU-0000000000-0000000000-00"}'
    )
    masked = mask_text(body)
    assert not any(secret in masked for secret in SECRETS)
    assert "validUntil" in masked and "20261122-AU-0000000000-0000000000-00" in masked


def test_headers_urls_and_signatures():
    assert mask_headers({"authorization": "Bearer eyJ.x", "accept": "application/json"}) == {
        "authorization": "***",
        "accept": "application/json",
    }
    assert mask_url("http://127.0.0.1:8600/storage/upo/1?sig=abc&exp=1") == "http://127.0.0.1:8600/storage/upo/1?***"
    assert "MIIB" not in mask_text(
        "<ds:X509Certificate>MIIB</ds:X509Certificate><ds:SignatureValue>zz</ds:SignatureValue>"
    )


def test_a_recorded_exchange_is_masked_and_cut():
    transcript = Transcript()
    transcript.record(
        method="POST", url="http://sim/v2/auth/token/redeem", request_headers={"authorization": "Bearer eyJ.auth"},
        request_body=b"", status=200, response_headers={"content-type": "application/json"},
        response_body=(
            '{"accessToken":{"token":"eyJhbGciOiJIUzI1NiJ9.access","validUntil":"x"},"pad":"' + "a" * 9000 + '"}'
        ).encode(),
        elapsed_ms=12.5,
    )  # fmt: skip
    entry = transcript.tail()[0]
    assert entry["request_headers"]["authorization"] == "***"
    assert "eyJhbGciOiJIUzI1NiJ9.access" not in entry["response_body"] and len(entry["response_body"]) <= 4000
