from django.contrib import admin

from .models import CSVDataset


@admin.register(CSVDataset)
class CSVDatasetAdmin(admin.ModelAdmin):
    list_display = ("id", "file_name", "uploaded_by", "uploaded_at", "row_count", "status")
    list_filter = ("status",)
    search_fields = ("file_name", "uploaded_by__username")
    readonly_fields = ("uploaded_at", "processed_at", "statistics", "report", "client_id")
