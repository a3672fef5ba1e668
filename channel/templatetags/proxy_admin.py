"""Template filters of the support desk: ages in one unit style."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from channel.lib.display import age_text

register = template.Library()


@register.filter
def age(value: datetime | None) -> str:
    """`24 s`, `5 min 3 s`, `2 h 5 min`, `3 d 4 h` since `value`; `never` when None."""
    if value is None:
        return "never"
    return age_text((timezone.now() - value).total_seconds())
