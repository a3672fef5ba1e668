"""Idempotent Omni writes: the first answer per natural key is stored and replayed verbatim.

A repeat with the same content gets the same status and the same bytes; a repeat with different
content gets 409; a duplicate that arrives while the first is still running gets 409 (Omni retries)
and never runs alongside it. Only successful answers are stored, so a refused request can be
corrected and sent again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from channel.api.errors import ApiError
from channel.lib.hashing import content_hash
from channel.models import IdempotencyRecord

STALE_AFTER = timedelta(minutes=2)  # a claim older than this belonged to a crashed request


def json_response(status: int, body: Any) -> HttpResponse:
    return HttpResponse(_encode(body), status=status, content_type="application/json")


def _encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def run_once(
    *,
    scope: str,
    key: str,
    content: Any,
    label: str,
    action: Callable[[], tuple[int, Any]],
) -> HttpResponse:
    """Run `action` once per (scope, key); `label` names the key in messages (e.g. shipmentId 7)."""
    digest = content_hash(content)
    record = _claim(scope, key, digest, label)
    if record.status_code is not None:
        return HttpResponse(
            record.response_body, status=record.status_code, content_type="application/json"
        )
    try:
        status, body = action()
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()
        raise
    if status >= 300:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return json_response(status, body)
    encoded = _encode(body)
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=status, response_body=encoded.decode(), completed_at=timezone.now()
    )
    return HttpResponse(encoded, status=status, content_type="application/json")


def _claim(scope: str, key: str, digest: str, label: str) -> IdempotencyRecord:
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(scope=scope, key=key, request_hash=digest)
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.get(scope=scope, key=key)
    if existing.request_hash != digest:
        raise ApiError(f"{label} was already used for a different request.", status_code=409)
    if existing.status_code is not None:
        return existing
    if timezone.now() - existing.created_at > STALE_AFTER:
        existing.delete()
        return _claim(scope, key, digest, label)
    raise ApiError(
        f"A request with the same {label} is still being processed; retry shortly.", status_code=409
    )


def run_once_each(
    *,
    scope: str,
    items: dict[str, Any],
    label: str,
    action: Callable[[list[str]], tuple[int, Any]],
) -> HttpResponse:
    """`run_once` for a request that carries several keyed items (handover: one per shipmentCode).

    `items` maps each key to its content. All keys are claimed together, in one transaction and in
    a fixed order (so two requests never deadlock): one key used with different content, or still
    in flight, refuses the whole request and claims nothing. `action` gets the keys not answered
    before; when every key was answered before, the stored answer is replayed. A successful answer
    is stored for every new key.
    """
    fresh, answered = _claim_each(scope, items, label)
    if not fresh:
        record = answered[0]
        return HttpResponse(
            record.response_body, status=record.status_code, content_type="application/json"
        )
    keys = [record.key for record in fresh]
    ids = [record.pk for record in fresh]
    try:
        status, body = action(keys)
    except BaseException:
        IdempotencyRecord.objects.filter(pk__in=ids, status_code__isnull=True).delete()
        raise
    if status >= 300:
        IdempotencyRecord.objects.filter(pk__in=ids).delete()
        return json_response(status, body)
    encoded = _encode(body)
    IdempotencyRecord.objects.filter(pk__in=ids).update(
        status_code=status, response_body=encoded.decode(), completed_at=timezone.now()
    )
    return HttpResponse(encoded, status=status, content_type="application/json")


def _claim_each(
    scope: str, items: dict[str, Any], label: str
) -> tuple[list[IdempotencyRecord], list[IdempotencyRecord]]:
    fresh: list[IdempotencyRecord] = []
    answered: list[IdempotencyRecord] = []
    with transaction.atomic():
        for key in sorted(items):
            digest = content_hash(items[key])
            record, created = _claim_in_transaction(scope, key, digest)
            if created:
                fresh.append(record)
                continue
            if record.request_hash != digest:
                raise ApiError(
                    f"{label} {key} was already used for a different request.", status_code=409
                )
            if record.status_code is not None:
                answered.append(record)
            elif timezone.now() - record.created_at > STALE_AFTER:
                record.created_at = timezone.now()
                record.save(update_fields=["created_at"])
                fresh.append(record)
            else:
                raise ApiError(
                    f"A request with the same {label} {key} is still being processed; "
                    "retry shortly.",
                    status_code=409,
                )
    return fresh, answered


def _claim_in_transaction(scope: str, key: str, digest: str) -> tuple[IdempotencyRecord, bool]:
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(scope=scope, key=key, request_hash=digest)
            return record, True
    except IntegrityError:
        return IdempotencyRecord.objects.select_for_update().get(scope=scope, key=key), False
