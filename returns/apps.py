from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from channel.services import timeline
        from returns import handlers  # noqa: F401  (registers the returns flow's outbox handlers)
        from returns.admin import attach_rto_action
        from returns.timeline import return_entries

        if return_entries not in timeline.extra_sources:
            timeline.extra_sources.append(return_entries)
        attach_rto_action()  # after channel's ready(), which registers the Shipment admin
