"""Print (or write into docs/security.md) the table of what each admin role may do, read from
the admin itself: the roles' permissions and every page's permission checks and actions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser
from django.test import RequestFactory

from channel.services.roles import AUDITOR, SUPPORT, ensure_roles

APPS = ("channel", "returns")
START, END = "<!-- roles-table:start -->", "<!-- roles-table:end -->"
BLOCK = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)


@dataclass
class RoleUser:
    """Stands in for a staff user of one role: the admin's checks only ask `has_perm`."""

    perms: set[str] = field(default_factory=set)
    is_superuser: bool = False
    is_active: bool = True
    is_staff: bool = True
    is_authenticated: bool = True
    pk: int = 0

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return self.is_superuser or perm in self.perms

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_superuser or any(p.startswith(f"{app_label}.") for p in self.perms)

    def get_username(self) -> str:
        return "role"


def _role_users() -> dict[str, RoleUser]:
    ensure_roles()
    users = {}
    for name in (AUDITOR, SUPPORT):
        group = Group.objects.get(name=name)
        perms = {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        users[name] = RoleUser(perms=perms)
    users["superuser"] = RoleUser(is_superuser=True)
    return users


def _can(model_admin: admin.ModelAdmin, user: RoleUser) -> str:
    request = RequestFactory().get("/admin/")
    request.user = user  # type: ignore[assignment]
    if not model_admin.has_view_or_change_permission(request):
        return "—"
    rights = ["view"]
    rights += [
        right
        for right, allowed in (
            ("add", model_admin.has_add_permission(request)),
            ("change", model_admin.has_change_permission(request)),
            ("delete", model_admin.has_delete_permission(request)),
            ("revert history", getattr(model_admin, "has_change_history_permission", None)),
        )
        if (allowed(request) if callable(allowed) else allowed)
    ]
    actions = [
        str(action[2]).rstrip(".")
        for name, action in model_admin.get_actions(request).items()
        if action is not None and name != "delete_selected"
    ]
    return ", ".join(rights) + "".join(f"; *{action}*" for action in actions)


def roles_table() -> str:
    """The markdown table: one row per admin page, one column per role."""
    users = _role_users()
    roles = [AUDITOR, SUPPORT, "superuser"]
    lines = [
        "| admin page | " + " | ".join(roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    pages = sorted(
        (
            (f"{model._meta.app_label}: {model._meta.verbose_name_plural}", model_admin)
            for model, model_admin in admin.site._registry.items()
            if model._meta.app_label in APPS
        ),
        key=lambda page: page[0],
    )
    for title, model_admin in pages:
        cells = [_can(model_admin, users[role]) for role in roles]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def with_table(document: str, table: str) -> str:
    return BLOCK.sub(lambda _: f"{START}\n{table}{END}", document)


class Command(BaseCommand):
    help = "Print the roles table (what auditor, support and superuser may do in the admin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", metavar="FILE", help="replace the table in FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        table = roles_table()
        if not options["write"]:
            self.stdout.write(table, ending="")
            return
        path = Path(options["write"])
        path.write_text(with_table(path.read_text(), table))
        self.stdout.write(f"wrote the roles table into {path}")
