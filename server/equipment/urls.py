from django.urls import path

from . import views, views_analytics

urlpatterns = [
    path("equipment/", views.EquipmentListView.as_view(), name="equipment-list"),
    path("equipment/<int:pk>/", views.EquipmentDetailView.as_view(), name="equipment-detail"),
    path("equipment/<int:pk>/history/", views.HistoryView.as_view(), name="equipment-history"),
    path("analytics/trends/", views_analytics.TrendsView.as_view(), name="trends"),
    path("analytics/comparison/", views_analytics.ComparisonView.as_view(), name="comparison"),
    path("analytics/csv/export/", views_analytics.ExportView.as_view(), name="equipment-export"),
]
