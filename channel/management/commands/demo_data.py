from typing import Any

from django.core.management.base import BaseCommand

from channel.models import AwbSeries, Location
from channel.services.awb import awb_series_add


class Command(BaseCommand):
    help = "Demo warehouse WH1 (address for labels) and a courier with an AWB series; idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        Location.objects.update_or_create(
            code="WH1",
            defaults={
                "name": "Demo Fashion Pvt Ltd — Bhiwandi warehouse",
                "line1": "Gala 14, Rajlaxmi Logistics Park",
                "line2": "Mumbai-Nashik Highway, Vadpe",
                "city": "Bhiwandi",
                "state": "Maharashtra",
                "zip": "421302",
                "phone": "+91 22 4000 1234",
                "gstin": "27AABCD1234E1Z5",
            },
        )
        if not AwbSeries.objects.filter(courier__name="Delhivery").exists():
            awb_series_add(
                transporter="Delhivery",
                prefix="DLV",
                start=100000001,
                end=100099999,
                location_code="WH1",
                make_default=True,
            )
        self.stdout.write("demo location WH1 and courier Delhivery are ready")
