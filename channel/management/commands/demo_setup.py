import secrets
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

from channel.models import ApiKey, ApiKeyScope
from channel.services.apikeys import api_key_create
from channel.services.roles import AUDITOR, SUPPORT, ensure_roles

# (username, group or None for the superuser)
LOGINS = [("demo", None), ("support", SUPPORT), ("auditor", AUDITOR)]


class Command(BaseCommand):
    help = (
        "Create the demo's admin logins (superuser, support, auditor) and one API key per scope; "
        "prints `admin login: <user> / <password> (<role>)` and `api key <scope>: <key>` lines."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_roles()
        for username, group in LOGINS:
            password = secrets.token_urlsafe(9)
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = True
            user.is_superuser = group is None
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=group)] if group else [])
            self.stdout.write(f"admin login: {username} / {password} ({group or 'superuser'})")
        for scope in ApiKeyScope:
            name = f"demo-{scope.value}"
            ApiKey.objects.filter(name=name).delete()
            _, raw = api_key_create(name=name, scope=scope.value)
            self.stdout.write(f"api key {scope.value}: {raw}")
