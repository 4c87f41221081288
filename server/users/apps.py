from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "server.users"
    label = "users"
    verbose_name = "Users"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import actor, signals  # noqa: F401  (profiles for new users; who acts per request)
