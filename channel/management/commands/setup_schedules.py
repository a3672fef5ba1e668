from typing import Any

from django.core.management.base import BaseCommand

from channel.services.schedules import ensure_schedules


class Command(BaseCommand):
    help = "Create the django-q2 schedules (sync every minute, outbox sweep); idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = ensure_schedules()
        self.stdout.write(f"schedules created or corrected: {', '.join(changed) or 'none'}")
