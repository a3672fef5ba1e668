from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _after_migrate(sender: AppConfig, **kwargs: object) -> None:
    from channel.roles import ensure_roles
    from channel.schedules import ensure_schedules

    ensure_schedules()
    ensure_roles()


class ChannelConfig(AppConfig):
    name = "channel"
    verbose_name = "Channel (orders, shipments, stock)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every app's post_migrate: permissions of apps migrated later exist by the last one.
        post_migrate.connect(_after_migrate, dispatch_uid="channel.after_migrate")
