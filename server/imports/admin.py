from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "file_name", "status", "records_imported", "records_failed", "imported_by",
                    "created_at", "completed_at", "attempts", "worker")
    list_filter = ("status",)
    readonly_fields = [f.name for f in ImportJob._meta.fields]
    raw_id_fields = ("imported_by", "dataset")
