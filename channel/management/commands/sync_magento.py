from typing import Any

from django.core.management.base import BaseCommand

from channel.services.sync import sync_magento


class Command(BaseCommand):
    help = "Pull new and changed orders from Magento once, now (safe beside the worker)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = sync_magento()
        self.stdout.write(str(report))
        if report.errors:
            self.stderr.write("sync did not finish; the cursor stays where it was")
