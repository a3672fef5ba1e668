"""Readable values on admin pages: JSON indented and collapsible, addresses as addresses, errors
truncated in lists (whole on hover and on the record's page), links to related records."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from simple_history.template_utils import HistoricalRecordContextHelper

from channel.lib.display import address_lines, json_summary, pretty_json, readable_value

OPEN_BELOW_LINES = 15  # JSON shorter than this is shown unfolded


def json_html(value: Any) -> SafeString | str:
    if value in (None, "", {}, []):
        return "-"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:  # not JSON: plain text, kept as it is
            return format_html('<pre class="proxy-text">{}</pre>', value)
    text = pretty_json(value)
    summary = json_summary(value)
    return format_html(
        '<details class="proxy-json"{}><summary>{}</summary><pre>{}</pre></details>',
        " open" if text.count("\n") < OPEN_BELOW_LINES else "",
        summary,
        text,
    )


def address_html(value: dict[str, Any] | None) -> SafeString | str:
    lines = address_lines(value)
    if not lines:
        return "-"
    return format_html(
        '<address class="proxy-address">{}</address>',
        format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)),
    )


@cache  # one display per field: fieldsets and readonly_fields must name the same object
def json_field(name: str, label: str = "") -> Callable[[Any], Any]:
    """A read-only admin field showing the JSON (or JSON text) field `name` readably."""

    def show(obj: Any) -> Any:
        return json_html(getattr(obj, name))

    show.__name__ = f"{name}_readable"
    return admin.display(description=label or name.replace("_", " "))(show)


@cache
def address_field(name: str, label: str = "") -> Callable[[Any], Any]:
    def show(obj: Any) -> Any:
        return address_html(getattr(obj, name))

    show.__name__ = f"{name}_readable"
    return admin.display(description=label or name.replace("_", " "))(show)


def readable(
    names: Iterable[Any], *, as_json: Iterable[str] = (), address: Iterable[str] = ()
) -> list[Any]:
    """`names` with the JSON and address fields replaced by their readable displays."""
    shown: dict[str, Any] = {n: json_field(n) for n in as_json}
    shown |= {n: address_field(n) for n in address}
    return [_swap(name, shown) for name in names]


def _swap(name: Any, shown: dict[str, Any]) -> Any:
    if isinstance(name, tuple):
        return tuple(_swap(n, shown) for n in name)
    return shown.get(name, name) if isinstance(name, str) else name


def short_text(text: str, limit: int = 80) -> SafeString | str:
    """The first `limit` characters; the whole text on hover."""
    if not text:
        return ""
    if len(text) <= limit:
        return text
    return format_html('<span title="{}">{}…</span>', text, text[:limit])


def admin_link(obj: Model | None, text: str = "") -> SafeString | str:
    if obj is None:
        return "-"
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text or str(obj))


# Where an operation's target ("shipment:<code>", "order:<code>", ...) is found: admin changelist
# name and the search that finds it (other apps' lists are reached by URL name only).
TARGET_LISTS = {
    "order": "admin:channel_order_changelist",
    "shipment": "admin:channel_shipment_changelist",
    "stock": "admin:channel_stocklevel_changelist",
    "return": "admin:returns_returnorder_changelist",
}


def target_url(target: str) -> str:
    """The admin list that finds an operation's target, or "" when none does."""
    kind, _, code = target.partition(":")
    if kind not in TARGET_LISTS or not code:
        return ""
    try:
        url = reverse(TARGET_LISTS[kind])
    except NoReverseMatch:
        return ""
    query = f"id__exact={code}" if kind == "stock" else f"q={code}"
    return f"{url}?{query}"


def target_link(target: str) -> SafeString | str:
    url = target_url(target)
    return format_html('<a href="{}">{}</a>', url, target) if url else (target or "-")


class ReadableHistoryHelper(HistoricalRecordContextHelper):
    """History pages show values as a person reads them: a choice by its label, a time in UTC to
    the second with its zone, JSON compact, nothing as an em dash."""

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        field = self.model._meta.get_field(change.field)
        labels = dict(getattr(field, "flatchoices", None) or ())
        return readable_value(value, labels)


class ReadableHistoryMixin:
    """For SimpleHistoryAdmin subclasses: readable values on the history pages."""

    def get_historical_record_context_helper(
        self, request: Any, historical_record: Any
    ) -> HistoricalRecordContextHelper:
        return ReadableHistoryHelper(self.model, historical_record)  # type: ignore[attr-defined]
