"""The intake API's request and response bodies: the typed models its OpenAPI document is generated from."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from core.invoice_xml import MAX_INVOICE_BYTES

# Base64 of the largest invoice KSeF takes (PROTOCOL.md §12.2), plus room for the JSON around it.
MAX_BASE64 = (MAX_INVOICE_BYTES + 2) // 3 * 4
MAX_REQUEST_BYTES = MAX_BASE64 + 4096
MAX_ID = 2**62  # ids and cursors fit a signed 64-bit column on every backend


class ErrorBody(BaseModel):
    """Every refusal: a code for programs, one sentence for people, and each problem found (bad input)."""

    code: str = Field(description="not_authenticated | locked | not_found | invalid | conflict | forbidden | too_large")
    message: str
    problems: list[str] = Field(default_factory=list)


class SignIn(BaseModel):
    company_key: str = Field(min_length=1, max_length=200, description="the client's company key from the office")
    program: str = Field(min_length=1, max_length=64, description="the program's name as linked by the office")
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class ConnectionOut(BaseModel):
    client_nip: str
    client_name: str
    program: str
    server_time: datetime


class PushIn(BaseModel):
    file_name: str = Field(default="", max_length=255)
    content_base64: str = Field(min_length=1, max_length=MAX_BASE64, description="the FA(3) XML, Base64-encoded")


class DocumentOut(BaseModel):
    id: int
    status: str = Field(description="queued | sending | accepted | duplicate | rejected | failed")
    invoice_number: str
    ksef_number: str | None
    has_upo: bool
    errors: list[str]
    created_at: datetime


class DocumentList(BaseModel):
    items: list[DocumentOut]


class ReceivedOut(BaseModel):
    id: int = Field(description="the invoice's position for the cursor")
    ksef_number: str | None
    subject_type: str = Field(description="Subject1: the client's sales; Subject2: its purchases")
    invoice_number: str
    issue_date: str
    seller_nip: str
    seller_name: str
    buyer_identifier: str
    gross_amount: int | None = Field(description="in grosze")
    currency: str


class ReceivedPageOut(BaseModel):
    items: list[ReceivedOut]
    next_cursor: int


class AckIn(BaseModel):
    invoice_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(max_length=1000)


class AckOut(BaseModel):
    acknowledged: int
