"""Document links: a fixed name per kind, an escaped file name, revocable by support."""

from __future__ import annotations

import pytest
from django.test import Client

from channel.models import AuditEvent, Document
from channel.services.documents import content_disposition, document_store, signed_path
from tests.support.admin import login

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4 test"


@pytest.fixture
def document() -> Document:
    return document_store(kind="label", key="000000100-1", content=PDF)


def test_a_link_ends_in_the_fixed_name_of_its_kind(document: Document) -> None:
    assert signed_path(document).endswith("/label.pdf")


def test_any_other_name_is_refused_but_the_older_one_still_works(
    client: Client, document: Document
) -> None:
    token = signed_path(document).split("/")[2]
    assert client.get(f"/documents/{token}/label.pdf").status_code == 200
    assert client.get(f"/documents/{token}/label-000000100-1.pdf").status_code == 200
    assert client.get(f"/documents/{token}/evil.html").status_code == 404


def test_the_file_name_is_escaped_in_content_disposition() -> None:
    document = Document(kind="invoice", key='A"1\r\nX-Injected: yes;ñ')
    header = content_disposition(document)
    assert "\r" not in header and "\n" not in header
    assert header.startswith('inline; filename="invoice-A_1__X-Injected: yes__.pdf"')
    assert header.endswith("filename*=UTF-8''invoice-A%221%0D%0AX-Injected%3A%20yes%3B%C3%B1.pdf")


def revoke(client: Client, document: Document) -> None:
    client.post(
        "/admin/channel/document/",
        {"action": "revoke_links", "_selected_action": [document.pk]},
        follow=True,
    )


def test_support_revokes_the_links_and_a_new_link_works(client: Client, document: Document) -> None:
    old = signed_path(document)
    revoke(login("sam", "support"), document)
    document.refresh_from_db()
    response = client.get(old)
    assert response.status_code == 403
    assert response.json()["errorMessage"] == (
        "This document link was revoked; ask Omni for a new one."
    )
    assert client.get(signed_path(document)).status_code == 200
    assert AuditEvent.objects.filter(action="document.links_revoked", actor="sam").exists()


def test_an_auditor_cannot_revoke(client: Client, document: Document) -> None:
    old = signed_path(document)
    revoke(login("ada", "auditor"), document)
    assert client.get(old).status_code == 200
