from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from channel.models import CheckDigit
from channel.models.shipping import awb_format
from channel.services.awb import awb_series_add


class Command(BaseCommand):
    help = (
        "Add a range of AWB numbers a courier handed you (the courier is created if new). "
        "--default makes the courier the default at --location (or at every location)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("transporter", help="Courier name as Omni knows it, e.g. Delhivery")
        parser.add_argument("--prefix", default="", help="Letters before the number")
        parser.add_argument("--start", type=int, required=True, help="First number")
        parser.add_argument("--end", type=int, required=True, help="Last number (inclusive)")
        parser.add_argument("--suffix", default="", help="Letters after the number (S10: IN)")
        parser.add_argument("--width", type=int, default=0, help="Zero-pad to this many digits")
        parser.add_argument(
            "--check-digit", choices=CheckDigit.values, default=CheckDigit.NONE, dest="check"
        )
        parser.add_argument("--location", default="", help="Only for this locationCode")
        parser.add_argument("--default", action="store_true", help="Make it the default courier")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            series = awb_series_add(
                transporter=str(options["transporter"]),
                prefix=str(options["prefix"]),
                start=int(options["start"]),
                end=int(options["end"]),
                suffix=str(options["suffix"]),
                width=int(options["width"]),
                check=str(options["check"]),
                location_code=str(options["location"]),
                make_default=bool(options["default"]),
                actor="manage.py add_awb_series",
            )
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(f"Series not added: {problems}") from None
        first, last = awb_format(series, series.start), awb_format(series, series.end)
        where = f"location {series.location.code}" if series.location else "any location"
        self.stdout.write(
            f"Added {series.size} AWB numbers for {series.courier} ({where}): {first} … {last}"
        )
        if options["default"]:
            self.stdout.write(f"{series.courier} is now the default courier at {where}.")
        if series.location and not series.location.has_address:
            self.stdout.write(
                f"Location {series.location.code} has no address yet: add it in admin (Locations)."
            )
