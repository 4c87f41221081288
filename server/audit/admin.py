from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the server, never edited or pruned here."""
    list_display = ("at", "username", "action", "model", "object_repr", "ip", "via")
    list_filter = ("action", "model", "via")
    search_fields = ("username", "object_repr", "object_id", "model")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

