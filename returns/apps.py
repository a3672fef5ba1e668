from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"
    default_auto_field = "django.db.models.BigAutoField"
