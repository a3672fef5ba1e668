from typing import Any

from django.core.management.base import BaseCommand

from channel.outbox import run_due


class Command(BaseCommand):
    help = "Run every due outbox operation once, now (safe beside the worker)."

    def handle(self, *args: Any, **options: Any) -> None:
        ran = run_due()
        self.stdout.write(f"ran {ran} operation(s)")
