"""Exports: encrypted parts behind pre-signed URLs, the package layout, and incremental sync by the HWM method."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from ksef_client.exceptions import KsefApiError
from ksef_client.models import InvoiceExportRequest, InvoiceQueryDateRange, InvoiceQueryFilters
from ksef_client.services.crypto import build_encryption_data, decrypt_aes_cbc_pkcs7
from ksef_client.services.hwm import update_continuation_point
from ksef_client.services.workflows import ExportWorkflow

from tests.simulator.flows import CLIENT_NIP, OFFICE_NIP, token_auth


@pytest.fixture
def access(admin, ksef):
    seeded = admin.seed(
        OFFICE_NIP, "Biuro", [{"nip": CLIENT_NIP, "name": "Klient", "scenario": "healthy"}], invoices_per_client=0
    )
    return token_auth(ksef, CLIENT_NIP, seeded["clients"][0]["ksefToken"]).access_token


def _export(ksef, access, start: str, restrict: bool = True, compression: str = "Zip"):
    certificate = ksef.security.get_public_key_certificate("SymmetricKeyEncryption")
    encryption = build_encryption_data(certificate.certificate)
    request = InvoiceExportRequest(
        encryption=encryption.encryption_info,
        compression_type=compression,
        filters=InvoiceQueryFilters(
            subject_type="Subject1",
            date_range=InvoiceQueryDateRange(
                date_type="PermanentStorage", from_=start, restrict_to_permanent_storage_hwm_date=restrict
            ),
        ),
    )
    reference = ksef.invoices.export_invoices(request, access_token=access).reference_number
    status = ksef.invoices.get_export_status(reference, access_token=access)
    return status, encryption


def _download(status, encryption) -> dict[str, bytes]:
    archive = b""
    for part in status.package.parts:
        response = httpx.get(part.url)  # pre-signed URL: no token
        assert response.headers["x-ms-meta-hash"] == part.encrypted_part_hash
        archive += decrypt_aes_cbc_pkcs7(response.content, encryption.key, encryption.iv)
    with zipfile.ZipFile(io.BytesIO(archive)) as package:
        return {name: package.read(name) for name in package.namelist()}


def test_export_package_and_hwm_continuation(admin, ksef, access):
    old = set(admin.generate_invoices(CLIENT_NIP, 30, "Subject1", spread_days=20)["ksefNumbers"])
    admin.set_hwm_lag(CLIENT_NIP, 7200)  # the HWM trails now by two hours
    recent = set(admin.generate_invoices(CLIENT_NIP, 5, "Subject1", spread_days=0.01)["ksefNumbers"])
    start = (datetime.now(UTC) - timedelta(days=30)).isoformat()

    first, encryption = _export(ksef, access, start)
    assert first.status.code == 200 and not first.package.is_truncated
    files = _download(first, encryption)
    metadata = json.loads(files.pop("_metadata.json"))["invoices"]
    early = {name.removesuffix(".xml") for name in files}
    assert {item["ksefNumber"] for item in metadata} == early
    hwm = first.package.permanent_storage_hwm_date
    assert all(item["permanentStorageDate"] <= hwm for item in metadata)
    assert early <= old and not early & recent and len(early) >= 25  # old ones inside the last 2 h come later
    assert first.package.compression_type.value == "Zip"

    points: dict[str, str | None] = {}
    update_continuation_point(points, "Subject1", first.package)
    assert points["Subject1"] == first.package.permanent_storage_hwm_date
    admin.set_hwm_lag(CLIENT_NIP, 0)
    second, encryption = _export(ksef, access, points["Subject1"])
    files = _download(second, encryption)
    files.pop("_metadata.json")
    late = {name.removesuffix(".xml") for name in files}
    assert recent <= late
    assert early | late == old | recent == set(admin.invoices(CLIENT_NIP, "Subject1"))


def test_invoices_never_land_below_a_reported_hwm(admin, ksef, access):
    start = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    first, _ = _export(ksef, access, start)
    hwm = first.package.permanent_storage_hwm_date
    admin.generate_invoices(CLIENT_NIP, 10, "Subject1", spread_days=20)  # "historical" dates
    second, _ = _export(ksef, access, hwm)
    assert second.package.invoice_count == 10  # all of them after the HWM the client already holds


def test_multi_part_and_targz_export(admin, ksef, access):
    admin.generate_invoices(CLIENT_NIP, 40, "Subject1", spread_days=5)
    admin.settings(exportPartSizeBytes=4096)
    start = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    status, encryption = _export(ksef, access, start, compression="TarGz")
    assert len(status.package.parts) > 1

    class _Plain:  # the SDK refuses loopback pre-signed URLs, so serve its workflow plain httpx responses
        def request(self, method, url, **kwargs):
            return httpx.request(method, url)

    workflow = ExportWorkflow(ksef.invoices, _Plain(), require_export_part_hash=True)
    result = workflow.download_and_process_package(status.package, encryption)
    assert len(result.invoice_xml_files) == 40 and len(result.metadata_summaries) == 40


def test_export_beyond_hwm_is_status_420(admin, ksef, access):
    admin.set_hwm_lag(CLIENT_NIP, 3600)
    status, _ = _export(ksef, access, (datetime.now(UTC) - timedelta(minutes=1)).isoformat())
    assert status.status.code == 420 and status.package is None


def test_export_pending_then_done_and_unknown_reference(admin, ksef, access):
    admin.settings(exportPendingSeconds=60)
    status, _ = _export(ksef, access, (datetime.now(UTC) - timedelta(days=1)).isoformat())
    assert status.status.code == 100
    with pytest.raises(KsefApiError) as error:
        ksef.invoices.get_export_status("20260101-EH-0000000000-0000000000-00", access_token=access)
    assert error.value.response_body["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21175
