"""Stored documents and their expiring signed URLs."""

from __future__ import annotations

import base64
import hashlib

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from channel.models import Document, Order

SALT = "channel.documents"


def document_store(*, kind: str, key: str, content: bytes, order: Order | None = None) -> Document:
    """Store a document; an unchanged one (same checksum) is left as it was."""
    checksum = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(kind=kind, key=key).first()
        if document and document.checksum == checksum:
            return document
        document = document or Document(kind=kind, key=key)
        document.order = order or document.order
        document.content, document.checksum, document.size = content, checksum, len(content)
        document.save()
    return document


def document_base64(document: Document) -> str:
    return base64.b64encode(bytes(document.content)).decode()


def signed_path(document: Document) -> str:
    token = signing.dumps(
        {"d": document.pk, "c": document.checksum[:16]},
        key=settings.DOCUMENT_SIGNING_KEY,
        salt=SALT,
    )
    return reverse("document", kwargs={"token": token, "filename": document.filename})


def signed_url(document: Document, request: HttpRequest | None = None) -> str:
    path = signed_path(document)
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + path
    return request.build_absolute_uri(path) if request is not None else path


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"hasError": True, "errorMessage": message}, status=status)


def document_download(request: HttpRequest, token: str, filename: str) -> HttpResponse:
    """GET /documents/<token>/<filename>: the PDF while the link is valid; never on a bad token."""
    try:
        data = signing.loads(
            token,
            key=settings.DOCUMENT_SIGNING_KEY,
            salt=SALT,
            max_age=settings.DOCUMENT_URL_TTL_SECONDS,
        )
    except signing.SignatureExpired:
        return _error("This document link has expired; ask Omni for a new one.", 403)
    except signing.BadSignature:
        return _error("This document link is not valid.", 403)
    document = Document.objects.filter(pk=data.get("d")).first()
    if document is None or not document.checksum.startswith(data.get("c", "-")):
        return _error("This document no longer exists in this version.", 404)
    response = HttpResponse(bytes(document.content), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.filename}"'
    response["Cache-Control"] = "private, max-age=300"
    return response
