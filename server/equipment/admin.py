from django.contrib import admin

from .models import Equipment, ParameterHistory


@admin.register(Equipment)
class EquipmentAdmin(admin.ModelAdmin):
    list_display = ("equipment_name", "equipment_type", "status", "flowrate", "pressure", "temperature",
                    "last_reading_at")
    list_filter = ("equipment_type", "status")
    search_fields = ("equipment_name",)
    readonly_fields = ("name_key", "created_at", "updated_at")


@admin.register(ParameterHistory)
class ParameterHistoryAdmin(admin.ModelAdmin):
    list_display = ("equipment", "timestamp", "flowrate", "pressure", "temperature", "status", "recorded_by")
    list_select_related = ("equipment", "recorded_by")
    raw_id_fields = ("equipment", "dataset")
