from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Upload import jobs (seed §2.3.3 analytics_csvimport, §3 `analytics/csv/import/{id}/`):
    large uploads answered 202 and processed by Celery workers, or in-process without a broker."""
    name = "server.imports"
    label = "imports"
    verbose_name = "Upload imports"
    default_auto_field = "django.db.models.BigAutoField"
