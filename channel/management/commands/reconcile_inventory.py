from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from channel.services.inventory import stock_reconcile


class Command(BaseCommand):
    help = (
        "Read Magento's stock of recently pushed SKUs, store the drift on the stock ledger, "
        "and queue writes for rows a dead request left unwritten (safe beside the worker)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=int, default=None, help="SKUs pushed within N hours")
        parser.add_argument("--limit", type=int, default=None, help="at most N SKUs")

    def handle(self, *args: Any, **options: Any) -> None:
        report = stock_reconcile(hours=options["hours"], limit=options["limit"])
        self.stdout.write(str(report))
        for sku in report.drifted[:50]:
            self.stdout.write(f"drift: {sku}")
        for error in report.errors[:50]:
            self.stderr.write(error)
