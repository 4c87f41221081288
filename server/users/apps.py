from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "server.users"
    label = "users"
    verbose_name = "Users"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (creates a profile for every new user)
