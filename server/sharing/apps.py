from django.apps import AppConfig


class SharingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "server.sharing"
    label = "sharing"
    verbose_name = "Shared records sync"
