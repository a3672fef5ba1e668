from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Returns plugs into channel through its registries (channel never imports returns):
        outbox handlers, timeline entries, the shipments' "mark RTO" action, role permissions."""
        from channel.admin import extensions
        from channel.services import roles, timeline
        from returns import handlers  # noqa: F401  (registers the returns flow's outbox handlers)
        from returns.admin import OrderReturnInline, mark_rto
        from returns.timeline import return_entries

        if return_entries not in timeline.extra_sources:
            timeline.extra_sources.append(return_entries)
        extensions.add_shipment_action(mark_rto)
        extensions.add_order_inline(OrderReturnInline)
        roles.add_app_permissions(
            app_label="returns",
            support_extra=(
                "returns.add_returnorder",
                "returns.change_returnorder",
                "returns.replay_returnorder",
            ),
        )
