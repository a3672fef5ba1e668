from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from channel.models import ApiKeyScope
from channel.services.apikeys import api_key_create


class Command(BaseCommand):
    help = "Create an API key; prints it once, alone on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--scope", choices=ApiKeyScope.values, default=ApiKeyScope.OMNI)
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["expires_days"]
        expires = timezone.now() + timedelta(days=days) if days else None
        key, raw = api_key_create(name=options["name"], scope=options["scope"], expires_at=expires)
        self.stdout.write(f"API key {key.name!r} (scope {key.scope}) created; it is shown once:")
        self.stdout.write(raw)
