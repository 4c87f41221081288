from django.urls import path

from . import views

urlpatterns = [
    path("sync/changes/", views.ChangesView.as_view(), name="sync-changes"),
    path("sync/push/", views.PushView.as_view(), name="sync-push"),
    path("sync/conflicts/", views.ConflictsView.as_view(), name="sync-conflicts"),
    path("sync/conflicts/<int:pk>/seen/", views.ConflictSeenView.as_view(), name="sync-conflict-seen"),
]
