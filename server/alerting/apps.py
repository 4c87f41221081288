from django.apps import AppConfig


class AlertingConfig(AppConfig):
    name = "server.alerting"
    label = "alerting"
    verbose_name = "Alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # rules: every create/update/delete; acknowledgements are recorded by the view (alerts
        # themselves are derived data, written in bulk by the evaluation)
        from server.audit import log

        from .models import AlertRule
        log.register(AlertRule)
