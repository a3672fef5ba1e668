from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.core.management import call_command
from django.db.models.signals import post_delete, post_migrate, post_save


def _after_migrate(sender: AppConfig, **kwargs: object) -> None:
    from channel.services.roles import ensure_roles
    from channel.services.schedules import ensure_schedules

    ensure_schedules()
    ensure_roles()
    # The shared cache's table when there is no Redis (settings.CACHES); nothing when it exists.
    call_command("createcachetable", database=kwargs.get("using", "default"), verbosity=0)


def _register_handlers() -> None:
    """The service modules that run outbox operations register their handlers on import."""
    from channel.services import (  # noqa: F401
        cancel,
        fulfilment,
        inventory,
        invoices,
        omni_push,
        shipments,
    )


def _register_admin() -> None:
    """Import the admin modules here, not from channel.admin's __init__: importing the site class
    (channel.admin.site) must not register models, or the lazy default site is built twice."""
    from channel.admin import (  # noqa: F401
        apikeys,
        documents,
        intake,
        inventory,
        invoices,
        orders,
        outbox,
        records,
        refunds,
        shipments,
        shipping,
        thirdparty,
    )


def _beat_on_worker_start(sender: object, **kwargs: object) -> None:
    """A worker writes its heartbeat when it starts, not only at its first sweep (/healthz would
    answer 503 for the first minute after start)."""
    from channel.services.health import beat

    beat()


class ChannelConfig(AppConfig):
    name = "channel"
    default = True
    verbose_name = "Channel (orders, shipments, stock)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every app's post_migrate: permissions of apps migrated later exist by the last one.
        post_migrate.connect(_after_migrate, dispatch_uid="channel.after_migrate")
        _register_handlers()
        _register_admin()
        from django_q.signals import post_spawn

        post_spawn.connect(_beat_on_worker_start, dispatch_uid="channel.beat_on_worker_start")
        from channel.models import ApiKey
        from channel.services.apikeys import api_keys_forget

        post_save.connect(api_keys_forget, sender=ApiKey, dispatch_uid="channel.keys_saved")
        post_delete.connect(api_keys_forget, sender=ApiKey, dispatch_uid="channel.keys_deleted")


class ProxyAdminConfig(admin_apps.AdminConfig):
    """The admin app, with the support dashboard as its index (here: channel.admin needs models)."""

    default = False

    default_site = "channel.admin.site.ProxyAdminSite"
