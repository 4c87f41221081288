from django.apps import AppConfig


class EquipmentConfig(AppConfig):
    name = "server.equipment"
    label = "equipment"          # tables equipment_equipment, equipment_parameterhistory (seed §2.3)
    verbose_name = "Equipment"
    default_auto_field = "django.db.models.BigAutoField"
