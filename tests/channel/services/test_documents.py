"""Stored documents and their expiring signed URLs (/documents/<token>/<name>)."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.test import Client

from channel.models import Document
from channel.services.documents import SALT, document_store, signed_path, signed_url

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4 label v1"


@pytest.fixture
def document(db: None) -> Document:
    return document_store(kind="label", key="000000100-1", content=PDF)


def refused(response: object, status: int, message: str) -> None:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/json"  # type: ignore[index]
    assert b"%PDF" not in response.content  # type: ignore[attr-defined]
    assert response.json() == {"hasError": True, "errorMessage": message}  # type: ignore[attr-defined]


def test_it_serves_the_document_through_its_signed_url(client: Client, document: Document) -> None:
    response = client.get(signed_path(document))

    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "inline; filename=\"label-000000100-1.pdf\"; filename*=UTF-8''label-000000100-1.pdf"
    )


def test_it_keeps_the_same_row_when_the_content_is_unchanged(document: Document) -> None:
    again = document_store(kind="label", key="000000100-1", content=PDF)

    assert (again.pk, again.checksum, again.updated_at) == (
        document.pk,
        document.checksum,
        document.updated_at,
    )


def test_it_builds_absolute_urls_from_the_public_base_url(
    document: Document, settings: pytest.FixtureRequest
) -> None:
    settings.PUBLIC_BASE_URL = "https://proxy.example.com"

    assert signed_url(document).startswith("https://proxy.example.com/documents/")


def test_it_refuses_an_expired_url_with_403(
    client: Client, document: Document, settings: pytest.FixtureRequest, monkeypatch: object
) -> None:
    settings.DOCUMENT_URL_TTL_SECONDS = 60
    path = signed_path(document)
    later = time.time() + 60 + 6 + 1  # past the TTL and the tenth a link may live longer
    monkeypatch.setattr(time, "time", lambda: later)

    refused(client.get(path), 403, "This document link has expired; ask Omni for a new one.")


def test_it_serves_a_url_until_it_expires(
    client: Client, document: Document, settings: pytest.FixtureRequest, monkeypatch: object
) -> None:
    settings.DOCUMENT_URL_TTL_SECONDS = 60
    path = signed_path(document)
    almost = time.time() + 59
    monkeypatch.setattr(time, "time", lambda: almost)

    assert client.get(path).content == PDF


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
        lambda token: "x" + token[1:],  # payload changed
        lambda token: token.split(":")[0],  # signature removed
        lambda token: "garbage",
    ],
    ids=["signature", "payload", "unsigned", "garbage"],
)
def test_it_refuses_a_tampered_token_with_403(
    client: Client, document: Document, tamper: object
) -> None:
    token = signed_path(document).split("/")[2]

    response = client.get(f"/documents/{tamper(token)}/label-000000100-1.pdf")  # type: ignore[operator]

    refused(response, 403, "This document link is not valid.")


def test_it_refuses_a_token_for_another_document_signed_with_another_key(
    client: Client, document: Document
) -> None:
    forged = signing.dumps({"d": document.pk, "c": document.checksum[:16]}, key="guess", salt=SALT)

    refused(client.get(f"/documents/{forged}/x.pdf"), 403, "This document link is not valid.")


def test_it_answers_404_when_the_document_changed_since_the_url_was_made(
    client: Client, document: Document
) -> None:
    old = signed_path(document)
    document_store(kind="label", key="000000100-1", content=b"%PDF-1.4 label v2")

    refused(client.get(old), 404, "This document no longer exists in this version.")


def test_it_answers_404_when_the_document_is_gone(client: Client, document: Document) -> None:
    path = signed_path(document)
    Document.objects.all().delete()

    refused(client.get(path), 404, "This document no longer exists in this version.")


def test_links_made_moments_apart_are_identical_so_repeats_match_byte_for_byte(
    document: Document, monkeypatch: object
) -> None:
    now = 1_800_000_000.0  # the start of an hour: links from the next hour differ
    monkeypatch.setattr(time, "time", lambda: now)
    first = signed_path(document)
    monkeypatch.setattr(time, "time", lambda: now + 59)
    assert signed_path(document) == first
    monkeypatch.setattr(time, "time", lambda: now + 3600)
    assert signed_path(document) != first
