"""Stored documents and their expiring signed URLs."""

from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.urls import reverse

from channel.models import Document, Order
from channel.services import audit
from channel.services.errors import Forbidden, NotFound

SALT = "channel.documents"


def document_store(*, kind: str, key: str, content: bytes, order: Order | None = None) -> Document:
    """Store a document; an unchanged one (same checksum) is left as it was."""
    try:
        return _store(kind, key, content, order)
    except IntegrityError:  # a concurrent first store of the same document won the insert
        return _store(kind, key, content, order)


def _store(kind: str, key: str, content: bytes, order: Order | None) -> Document:
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


def content_disposition(document: Document) -> str:
    """`inline` with the document's fixed file name, quoted as RFC 6266 asks (the name is built
    from a key that came from Magento or Omni: never trusted to be header-safe)."""
    name = document.filename
    ascii_name = "".join(_header_safe(c) for c in name)
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _header_safe(char: str) -> str:
    return char if char.isascii() and char.isprintable() and char not in '"\\;' else "_"


def document_base64(document: Document) -> str:
    return base64.b64encode(bytes(document.content)).decode()


def _signer() -> signing.Signer:
    return signing.Signer(key=settings.DOCUMENT_SIGNING_KEY, salt=SALT)


def link_expiry(now: float | None = None) -> int:
    """When a link made now expires: at least DOCUMENT_URL_TTL_SECONDS from now and at most a
    tenth longer. Links made within the same tenth are identical, so a repeated Omni call gets
    the same answer byte for byte."""
    ttl = settings.DOCUMENT_URL_TTL_SECONDS
    bucket = max(1, min(3600, ttl // 10))
    moment = int(time.time() if now is None else now)
    return moment - moment % bucket + bucket + ttl


def signed_path(document: Document) -> str:
    payload = {"d": document.pk, "c": document.checksum[:16], "e": link_expiry()}
    if document.link_version:
        payload["v"] = document.link_version
    token = _signer().sign_object(payload)
    return reverse("document", kwargs={"token": token, "filename": document.url_name})


def signed_url(document: Document, request: HttpRequest | None = None) -> str:
    path = signed_path(document)
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + path
    return request.build_absolute_uri(path) if request is not None else path


def document_for_token(token: str, filename: str | None = None) -> Document:
    """The document a signed link names, while the link is valid and not revoked, under its
    fixed name (or the name links had before: `<kind>-<key>.pdf`) (Forbidden / NotFound)."""
    try:
        data = _signer().unsign_object(token)
    except signing.BadSignature:
        raise Forbidden("This document link is not valid.") from None
    if not isinstance(data, dict) or int(data.get("e") or 0) < time.time():
        raise Forbidden("This document link has expired; ask Omni for a new one.")
    document = Document.objects.filter(pk=data.get("d", 0)).first()
    if document is None or not document.checksum.startswith(data.get("c", "-")):
        raise NotFound("This document no longer exists in this version.")
    if int(data.get("v") or 0) != document.link_version:
        raise Forbidden("This document link was revoked; ask Omni for a new one.")
    if filename is not None and filename not in (document.url_name, document.filename):
        raise NotFound("No document has this name.")
    return document


def document_links_revoke(*, documents: QuerySet[Document], actor: str) -> int:
    """Every link given out so far to these documents stops working (new links work)."""
    revoked = 0
    for document in documents.only("pk", "kind", "key", "order_id"):
        Document.objects.filter(pk=document.pk).update(link_version=F("link_version") + 1)
        audit.record(
            "document.links_revoked",
            order=document.order,
            actor=actor,
            subject=f"document:{document.pk}",
            message=f"Links to {document.filename} revoked",
        )
        revoked += 1
    return revoked
