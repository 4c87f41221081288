from django.urls import path

from . import views

urlpatterns = [
    path("alerts/rules/", views.RuleListView.as_view(), name="alert-rules"),
    path("alerts/rules/<int:pk>/", views.RuleDetailView.as_view(), name="alert-rule-detail"),
    path("alerts/", views.AlertListView.as_view(), name="alerts"),
    path("alerts/<int:pk>/acknowledge/", views.AcknowledgeView.as_view(), name="alert-acknowledge"),
]
