from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_schedules(sender: AppConfig, **kwargs: object) -> None:
    from channel.schedules import ensure_schedules

    ensure_schedules()


class ChannelConfig(AppConfig):
    name = "channel"
    verbose_name = "Channel (orders, shipments, stock)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_ensure_schedules, sender=self)
