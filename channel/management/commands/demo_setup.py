import secrets
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from channel.models import ApiKey
from channel.services.apikeys import api_key_create


class Command(BaseCommand):
    help = "Create the demo admin login and the demo Omni API key (prints both)."

    def handle(self, *args: Any, **options: Any) -> None:
        password = secrets.token_urlsafe(9)
        user, _ = User.objects.get_or_create(username="demo")
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        ApiKey.objects.filter(name="demo-omni").delete()
        _, raw = api_key_create(name="demo-omni")
        self.stdout.write(f"admin login: demo / {password}")
        self.stdout.write(raw)
