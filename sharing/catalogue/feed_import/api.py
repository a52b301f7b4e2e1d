"""POST /api/imports/ and GET /api/imports/{id}/: feed uploads, run by Celery, followed here."""

from pathlib import Path

from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import parsers, permissions, serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import spreadsheets
from portal.api.views import JsonForErrors
from portal.enqueue import enqueue_on_commit
from portal.uploads import too_large_message
from sharing.catalogue import rules
from sharing.catalogue.feed_import import tasks
from sharing.catalogue.feed_import.jobs import (
    ALLOWED_SUFFIXES,
    MAX_UPLOAD_BYTES,
    import_job_create,
    import_jobs_visible,
    import_source_get,
)
from sharing.catalogue.feed_import.rejected import rejected_rows, template_rows
from sharing.catalogue.models import ImportJob, ImportRejection


class CanImport(permissions.BasePermission):
    """Instrument managers and administrators (rules.may_import)."""

    def has_permission(self, request, view):
        return rules.may_import(request.user) is None


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    # A name, looked up by the service only for those who may import by source: a lookup here
    # would answer a manager 400 or 403 depending on whether the source exists.
    source = serializers.SlugField(max_length=64, required=False, allow_null=True)
    full = serializers.BooleanField(default=False)
    dry_run = serializers.BooleanField(default=False)

    def validate_file(self, upload):
        if Path(upload.name or "").suffix.lower() not in ALLOWED_SUFFIXES:
            raise serializers.ValidationError(
                _("只接受 .csv 或 .xlsx 文件，请在表格软件里另存为 CSV（UTF-8）或 XLSX 后再上传。")
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(too_large_message(MAX_UPLOAD_BYTES))
        return upload


class RejectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRejection
        fields = ["row_number", "column", "reason", "value"]


class ImportJobSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True)
    rejections = serializers.SerializerMethodField()
    source = serializers.CharField(source="source_name")

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "status",
            "progress",
            "source",
            "original_filename",
            "full",
            "dry_run",
            "created_at",
            "started_at",
            "finished_at",
            "rows_read",
            "created",
            "updated",
            "unchanged",
            "rejected",
            "withdrawn",
            "error",
            "rejections",
        ]

    @extend_schema_field(RejectionSerializer(many=True))
    def get_rejections(self, job) -> list[dict]:
        return RejectionSerializer(job.rejections.all()[:1000], many=True).data


class ImportListView(APIView):
    """Managers and administrators upload a feed; it is imported by a Celery worker."""

    permission_classes = [CanImport]
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(request=UploadSerializer, responses={202: ImportJobSerializer})
    def post(self, request):
        form = UploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        name = data.get("source")
        source = import_source_get(user=request.user, name=name) if name else None
        with transaction.atomic():
            job = import_job_create(
                user=request.user,
                upload=data["file"],
                source=source,
                full=data["full"],
                dry_run=data["dry_run"],
            )
            enqueue_on_commit(tasks.run_import, job.pk)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportDetailView(APIView):
    """The uploader and administrators; anyone else gets 404."""

    permission_classes = [CanImport]

    @extend_schema(responses=ImportJobSerializer)
    def get(self, request, pk: int):
        jobs = import_jobs_visible(user=request.user)
        return Response(ImportJobSerializer(get_object_or_404(jobs, pk=pk)).data)


def _csv(rows, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        spreadsheets.csv_stream(rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


_CSV = {(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)}


class ImportRejectionsCsvView(APIView):
    """The uploader and administrators (as the job itself; 404 for anyone else): the rejected
    rows as uploaded, with a reason column, as CSV in UTF-8 with BOM, to fix and upload again."""

    permission_classes = [CanImport]
    content_negotiation_class = JsonForErrors

    @extend_schema(
        summary="An import's rejected rows as CSV",
        operation_id="imports_rejections_csv",
        responses=_CSV,
    )
    def get(self, request, pk: int):
        job = get_object_or_404(import_jobs_visible(user=request.user), pk=pk)
        return _csv(rejected_rows(job), f"import-{job.pk}-rejected.csv")


class ImportTemplateCsvView(APIView):
    """Instrument managers and administrators: an empty feed with the national record's
    headers, as CSV in UTF-8 with BOM."""

    permission_classes = [CanImport]
    content_negotiation_class = JsonForErrors

    @extend_schema(
        summary="A blank feed in the national layout",
        operation_id="imports_template_csv",
        responses=_CSV,
    )
    def get(self, request):
        return _csv(template_rows(), "instrument-feed-template.csv")
