"""The two support roles. Groups are created by a migration; their permissions are kept in step
with the models after every `migrate` (post_migrate), so models added later are covered too."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

SUPPORT = "support"
AUDITOR = "auditor"

# Beyond viewing everything, support staff may replay/cancel operations, pause flows, assign AWBs
# (change shipments), manage locations, couriers, AWB series and stock sources and revoke document
# links; returns adds
# creating and replaying returns.
SUPPORT_EXTRA = [
    "channel.replay_operation",
    "channel.pause_flow",
    "channel.change_shipment",
    "channel.assign_awb",
    "channel.add_location",
    "channel.change_location",
    "channel.add_courier",
    "channel.change_courier",
    "channel.add_awbseries",
    "channel.change_awbseries",
    "channel.add_stocksource",
    "channel.change_stocksource",
    "channel.revoke_document_links",
]
# Apps whose models both roles may view; other apps add themselves (add_app_permissions).
APPS = ["channel"]


def add_app_permissions(*, app_label: str, support_extra: tuple[str, ...] = ()) -> None:
    """Let both roles view `app_label`'s models and support also hold `support_extra`
    (called from that app's AppConfig.ready())."""
    if app_label not in APPS:
        APPS.append(app_label)
    SUPPORT_EXTRA.extend(name for name in support_extra if name not in SUPPORT_EXTRA)


def _view_permissions() -> list[Permission]:
    return list(
        Permission.objects.filter(content_type__app_label__in=APPS, codename__startswith="view_")
    )


def _named(names: list[str]) -> list[Permission]:
    query = Q(pk__in=[])
    for name in names:
        app, codename = name.split(".")
        query |= Q(content_type__app_label=app, codename=codename)
    return list(Permission.objects.filter(query))


def ensure_roles() -> None:
    auditor, _ = Group.objects.get_or_create(name=AUDITOR)
    support, _ = Group.objects.get_or_create(name=SUPPORT)
    views = _view_permissions()
    auditor.permissions.set(views)
    support.permissions.set(views + _named(SUPPORT_EXTRA))
