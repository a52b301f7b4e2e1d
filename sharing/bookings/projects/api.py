"""The project API: projects of my organisation, the organisation's threshold, the charges
waiting for a principal investigator and their decision, and the monthly statement (JSON and
XLSX).

Thin views: a serializer checks the input's shape, a service does the work and asks the rule
(404 unseen, 403 not allowed, 409 wrong state).
"""

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.query import query_params
from portal.api.views import ActionApi, JsonForErrors
from portal.errors import Forbidden
from sharing.bookings.projects import rules, selectors, services, statements
from sharing.bookings.projects.serializers import (
    ApprovalListQuerySerializer,
    ChargeApprovalSerializer,
    ChargeDecideSerializer,
    ChargeRejectSerializer,
    ProjectCreateSerializer,
    ProjectListQuerySerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
    StatementQuerySerializer,
    StatementSerializer,
    ThresholdSerializer,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS = {
    400: OpenApiResponse(description="Bad input or a broken rule (error.rule)."),
    403: OpenApiResponse(description="Not allowed for this person."),
    404: OpenApiResponse(description="Nothing of that number visible to this person."),
    409: OpenApiResponse(description="Already decided, or the service has moved on."),
}


class ProjectListCreateApi(APIView):
    """Signed in. GET: the projects of my organisation (members: the active ones and those
    they lead; its administrators: all). POST: register a project — organisation
    administrators for any member, a member for a project they lead themselves."""

    @extend_schema(
        summary="Projects of my organisation",
        operation_id="projects_list",
        parameters=[ProjectListQuerySerializer],
        responses=ProjectSerializer(many=True),
    )
    def get(self, request):
        data = query_params(ProjectListQuerySerializer, request)
        projects = selectors.project_list(user=request.user, active=data.get("active"))
        return Response(ProjectSerializer(projects[:500], many=True).data)

    @extend_schema(
        summary="Register a project",
        operation_id="projects_create",
        request=ProjectCreateSerializer,
        responses={201: ProjectSerializer, **ERRORS},
    )
    def post(self, request):
        payload = ProjectCreateSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        project = services.project_create(
            by=request.user,
            organisation=request.user.organisation,
            name=data["name"],
            number=data["number"],
            funding_source=data["funding_source"],
            investigator=data.get("investigator") or request.user,
        )
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    """GET: one project (members of its organisation, coordinators of its region,
    administrators; anyone else 404). PATCH: its investigator or the organisation's
    administrators change it (only the latter name a new investigator)."""

    @extend_schema(
        summary="One project", operation_id="projects_retrieve", responses=ProjectSerializer
    )
    def get(self, request, pk: int):
        return Response(ProjectSerializer(selectors.project_get(pk=pk, user=request.user)).data)

    @extend_schema(
        summary="Change a project",
        operation_id="projects_update",
        request=ProjectUpdateSerializer,
        responses={200: ProjectSerializer, **ERRORS},
    )
    def patch(self, request, pk: int):
        project = selectors.project_get(pk=pk, user=request.user)
        payload = ProjectUpdateSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        project = services.project_update(
            by=request.user, project=project, **payload.validated_data
        )
        return Response(ProjectSerializer(project).data)


class ThresholdApi(APIView):
    """GET (members): my organisation's approval threshold (null: charges never wait). PUT:
    its organisation administrators set it (null removes it)."""

    def _organisation(self, request):
        if request.user.organisation_id is None:
            raise Forbidden(_no_organisation())
        return request.user.organisation

    @extend_schema(
        summary="My organisation's charge approval threshold",
        operation_id="projects_threshold_retrieve",
        responses=ThresholdSerializer,
    )
    def get(self, request):
        organisation = self._organisation(request)
        amount = rules.threshold_of(organisation.pk)
        return Response(
            ThresholdSerializer({"organisation": organisation.name, "amount": amount}).data
        )

    @extend_schema(
        summary="Set my organisation's charge approval threshold",
        operation_id="projects_threshold_update",
        request=ThresholdSerializer,
        responses={200: ThresholdSerializer, **ERRORS},
    )
    def put(self, request):
        organisation = self._organisation(request)
        payload = ThresholdSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        amount = payload.validated_data["amount"]
        services.threshold_set(by=request.user, organisation=organisation, amount=amount)
        return Response(
            ThresholdSerializer({"organisation": organisation.name, "amount": amount}).data
        )


def _no_organisation() -> str:
    return _("只有机构成员可以查看课题设置。")


class ChargeApprovalListApi(APIView):
    """Signed in: the charges waiting on projects I lead (role=investigator; administrators:
    all), or those I asked for (role=mine); pending=false lists the decided ones too."""

    @extend_schema(
        summary="Charges waiting for a principal investigator",
        operation_id="projects_approvals_list",
        parameters=[ApprovalListQuerySerializer],
        responses=ChargeApprovalSerializer(many=True),
    )
    def get(self, request):
        data = query_params(ApprovalListQuerySerializer, request)
        approvals = selectors.approval_list(
            user=request.user, role=data["role"], pending=data["pending"]
        )
        return Response(ChargeApprovalSerializer(approvals[:200], many=True).data)


class _ApprovalActionApi(ActionApi):
    service = None

    def get_object(self, request, pk: int):
        return selectors.approval_get(pk=pk, user=request.user)

    def respond(self, request, obj) -> Response:
        return Response(ChargeApprovalSerializer(obj).data)

    def act(self, request, approval, data):
        return type(self).service(approval=approval, by=request.user, **data)


class ChargeApproveApi(_ApprovalActionApi):
    """The project's principal investigator agrees to the charge: the booking may then be
    approved by the instrument's manager (or is approved at once where the instrument needs no
    approval), the order's samples received. 409 once decided or when the service moved on."""

    input_serializer = ChargeDecideSerializer
    service = staticmethod(services.charge_approve)

    @extend_schema(
        summary="Approve a charge to my project",
        operation_id="projects_approvals_approve",
        request=ChargeDecideSerializer,
        responses={200: ChargeApprovalSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)


class ChargeRejectApi(_ApprovalActionApi):
    """The project's principal investigator refuses the charge, with a reason: the booking is
    rejected, the order cancelled, and any voucher reservation released."""

    input_serializer = ChargeRejectSerializer
    service = staticmethod(services.charge_reject)

    @extend_schema(
        summary="Reject a charge to my project",
        operation_id="projects_approvals_reject",
        request=ChargeRejectSerializer,
        responses={200: ChargeApprovalSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)


class StatementApi(APIView):
    """The monthly statement (Asia/Shanghai month) of my organisation, of another one
    (coordinators of its region, administrators) or of one project: completed bookings and
    orders with charge, voucher part and amount due, and the totals. Organisation
    administrators read the whole organisation, a principal investigator their projects."""

    @extend_schema(
        summary="Monthly statement of an organisation or a project",
        operation_id="statements_retrieve",
        parameters=[StatementQuerySerializer],
        responses={200: StatementSerializer, **ERRORS},
    )
    def get(self, request):
        data = query_params(StatementQuerySerializer, request)
        statement = statements.statement_read(
            user=request.user,
            month=data["month"],
            project_id=data.get("project"),
            organisation_id=data.get("organisation"),
        )
        return Response(StatementSerializer(statement).data)


class StatementXlsxApi(APIView):
    """The same statement as an XLSX workbook (cells guarded against formulas)."""

    content_negotiation_class = JsonForErrors

    @extend_schema(
        summary="Monthly statement as XLSX",
        operation_id="statements_export_xlsx",
        parameters=[StatementQuerySerializer],
        responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY), **ERRORS},
    )
    def get(self, request):
        data = query_params(StatementQuerySerializer, request)
        statement = statements.statement_read(
            user=request.user,
            month=data["month"],
            project_id=data.get("project"),
            organisation_id=data.get("organisation"),
        )
        suffix = f"-{statement.project.pk}" if statement.project is not None else ""
        return FileResponse(
            statements.statement_xlsx(statement),
            as_attachment=True,
            filename=f"statement-{statement.month:%Y-%m}{suffix}.xlsx",
            content_type=XLSX,
        )
