from django.urls import path

from . import views

urlpatterns = [
    path("analytics/csv/import/<int:pk>/", views.ImportJobView.as_view(), name="csv-import"),
]
