"""django-q2 schedules, created idempotently (post_migrate and `setup_schedules`)."""

from __future__ import annotations

from django.conf import settings
from django_q.models import Schedule

SCHEDULES = {
    "sync-magento": ("channel.tasks.sync_magento", 1),
    "sweep-outbox": ("channel.tasks.sweep_outbox", 1),
    "reconcile-inventory": (
        "channel.tasks.reconcile_inventory",
        settings.INVENTORY_RECONCILE_MINUTES,
    ),
    "retention": ("channel.tasks.retention_run", 24 * 60),  # daily (channel.services.retention)
}


def ensure_schedules() -> list[str]:
    """Create or correct each schedule; running it twice changes nothing. Returns what changed."""
    changed = []
    for name, (func, minutes) in SCHEDULES.items():
        schedule, created = Schedule.objects.get_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": Schedule.MINUTES,
                "minutes": minutes,
                "repeats": -1,
            },
        )
        if created:
            changed.append(name)
        elif (schedule.func, schedule.minutes, schedule.schedule_type) != (
            func,
            minutes,
            Schedule.MINUTES,
        ):
            schedule.func, schedule.minutes = func, minutes
            schedule.schedule_type, schedule.repeats = Schedule.MINUTES, -1
            schedule.save()
            changed.append(name)
    return changed
