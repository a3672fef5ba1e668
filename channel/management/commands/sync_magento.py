from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from channel.lib.timefmt import parse_magento
from channel.models import BackfillRun, BackfillState
from channel.services import backfill
from channel.services.sync import sync_magento


class Command(BaseCommand):
    help = (
        "Pull new and changed orders from Magento once, now (safe beside the worker). With "
        "--backfill, take orders created before go-live on purpose (see docs/operations.md)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--backfill",
            action="store_true",
            help="take orders created in [--since, --until] and push those not sent yet",
        )
        parser.add_argument("--since", help='oldest created_at, "YYYY-MM-DD HH:MM:SS" UTC')
        parser.add_argument("--until", help='newest created_at, "YYYY-MM-DD HH:MM:SS" UTC')
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be pushed; push nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["backfill"]:
            self._backfill(options)
            return
        if options["since"] or options["until"] or options["dry_run"]:
            raise CommandError("--since, --until and --dry-run go with --backfill")
        report = sync_magento()
        self.stdout.write(str(report))
        if report.errors:
            self.stderr.write("sync did not finish; the cursor stays where it was")

    def _backfill(self, options: dict[str, Any]) -> None:
        since = _moment(options["since"], "--since")
        if since is None:
            raise CommandError('--backfill needs --since "YYYY-MM-DD HH:MM:SS"')
        until = _moment(options["until"], "--until")
        if until is not None and until < since:
            raise CommandError("--until is before --since")

        def progress(run: BackfillRun) -> None:
            self.stdout.write(backfill.describe_progress(run))

        result = backfill.backfill(
            since=since, until=until, dry_run=options["dry_run"], progress=progress
        )
        self.stdout.write(result.summary())
        if result.run.state == BackfillState.FAILED:
            raise CommandError(
                f"backfill stopped: {result.run.error}; run it again (nothing is pushed twice)"
            )


def _moment(value: str | None, option: str) -> Any:
    if not value:
        return None
    try:
        text = value.strip()
        return parse_magento(text + " 00:00:00" if len(text) == 10 else text)
    except ValueError as exc:
        raise CommandError(f'{option} must look like "YYYY-MM-DD HH:MM:SS" (UTC)') from exc
