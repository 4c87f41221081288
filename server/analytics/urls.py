from django.urls import path

from . import views_datasets, views_export, views_stats, views_upload

urlpatterns = [
    path("analytics/csv/upload/", views_upload.UploadView.as_view(), name="csv-upload"),
    path("analytics/csv/datasets/", views_datasets.DatasetListView.as_view(), name="dataset-list"),
    path("analytics/csv/datasets/<int:pk>/", views_datasets.DatasetDetailView.as_view(),
         name="dataset-detail"),
    path("analytics/csv/datasets/<int:pk>/export/", views_export.DatasetExportView.as_view(),
         name="dataset-export"),
    path("analytics/statistics/", views_stats.StatisticsView.as_view(), name="statistics"),
    # dataset against dataset (was analytics/comparison/, which now compares equipment, seed §3.4)
    path("analytics/csv/datasets/compare/", views_stats.DatasetComparisonView.as_view(),
         name="dataset-comparison"),
]
