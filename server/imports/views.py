"""GET analytics/csv/import/{id}/: an upload import's state (seed §3). Every signed-in user reads
(as datasets); polling a job whose worker died puts it back in the queue (jobs.reap_stale)."""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import jobs
from .models import TERMINAL, ImportJob
from .serializers import ImportJobSerializer


class ImportJobView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ImportJobSerializer})
    def get(self, request, pk: int):
        job = get_object_or_404(ImportJob.objects.select_related("imported_by"), pk=pk)
        if job.status not in TERMINAL:
            jobs.reap_stale(job_id=job.pk)
            job.refresh_from_db()
        return Response(ImportJobSerializer(job).data)
