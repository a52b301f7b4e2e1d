"""The monthly statement (费用结算单) of an organisation, or of one project: the month's
completed bookings and completed orders (report issued or closed), each with its charge, the
part an innovation voucher paid (redeemed) and the amount due, with totals.

The month is a calendar month in Asia/Shanghai: a booking counts in the month it started, an
order in the month its report was issued. A booking or order charged to a project belongs to
the project's organisation, one without to its requester's (a booking) or ordering (an order)
organisation. Read by the API, the printable page and the XLSX alike (one list of columns);
the headers are Chinese in every language, as the other exports' are.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from portal import spreadsheets
from portal.accounts.models import Organisation
from portal.errors import Forbidden, NotFound, require
from sharing.bookings.models import Booking, Project, SampleOrder, VoucherEntry
from sharing.bookings.projects import rules, selectors

CHINA = ZoneInfo("Asia/Shanghai")
ZERO = Decimal("0.00")
_ZERO = Value(ZERO, output_field=DecimalField(max_digits=12, decimal_places=2))


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=CHINA)
    end = datetime.datetime.combine(following, datetime.time.min, tzinfo=CHINA)
    return start, end


@dataclass(frozen=True)
class Line:
    kind: str  # "booking" or "order"
    ref: int
    date: datetime.date
    person: str
    instrument: str
    provider: str
    project_id: int | None
    project: str
    charge: Decimal
    voucher_part: Decimal

    @property
    def due(self) -> Decimal:
        return self.charge - self.voucher_part


@dataclass
class Statement:
    organisation: Organisation
    month: datetime.date
    project: Project | None
    lines: list[Line] = field(default_factory=list)

    @property
    def charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), ZERO)

    @property
    def voucher_part(self) -> Decimal:
        return sum((line.voucher_part for line in self.lines), ZERO)

    @property
    def due(self) -> Decimal:
        return self.charge - self.voucher_part


def _name(user) -> str:
    return user.get_full_name() or user.username


def _project_text(project: Project | None) -> str:
    return f"{project.number} {project.name}" if project is not None else ""


def statement_for(
    *,
    organisation: Organisation,
    month: datetime.date,
    project: Project | None = None,
    projects: list[int] | None = None,
) -> Statement:
    """The statement of ``organisation`` for ``month``; of one ``project`` only, or (a
    principal investigator's view) of the ``projects`` listed."""
    start, end = month_bounds(month)
    belongs = Q(project__organisation=organisation) | Q(
        project__isnull=True, requester__organisation=organisation
    )
    bookings = (
        Booking.objects.filter(belongs, status=Booking.Status.COMPLETED)
        .filter(period__startswith__gte=start, period__startswith__lt=end)
        .select_related("requester", "instrument__organisation", "project")
        .annotate(
            voucher_paid=Coalesce(
                Sum(
                    "voucher_entries__amount",
                    filter=Q(voucher_entries__kind=VoucherEntry.Kind.REDEMPTION),
                ),
                _ZERO,
            )
        )
    )
    order_belongs = Q(project__organisation=organisation) | Q(
        project__isnull=True, organisation=organisation
    )
    orders = (
        SampleOrder.objects.filter(order_belongs, status__in=SampleOrder.COMPLETED)
        .filter(reported_at__gte=start, reported_at__lt=end)
        .select_related("customer", "instrument__organisation", "project")
    )
    if project is not None:
        bookings, orders = bookings.filter(project=project), orders.filter(project=project)
    elif projects is not None:
        bookings = bookings.filter(project_id__in=projects)
        orders = orders.filter(project_id__in=projects)
    lines = [
        Line(
            kind="booking",
            ref=b.pk,
            date=b.start.astimezone(CHINA).date(),
            person=_name(b.requester),
            instrument=b.instrument.name,
            provider=b.instrument.organisation.name if b.instrument.organisation_id else "",
            project_id=b.project_id,
            project=_project_text(b.project),
            charge=b.charge or ZERO,
            voucher_part=b.voucher_paid,
        )
        for b in bookings
    ]
    lines += [
        Line(
            kind="order",
            ref=o.pk,
            date=o.reported_at.astimezone(CHINA).date(),
            person=_name(o.customer),
            instrument=o.instrument.name,
            provider=o.instrument.organisation.name if o.instrument.organisation_id else "",
            project_id=o.project_id,
            project=_project_text(o.project),
            charge=o.fee,
            voucher_part=o.voucher_part,
        )
        for o in orders
    ]
    lines.sort(key=lambda line: (line.date, line.kind, line.ref))
    return Statement(organisation=organisation, month=month, project=project, lines=lines)


KIND_TEXT = {"booking": "预约上机", "order": "委托测试"}
HEADERS = [
    "日期",
    "类型",
    "编号",
    "使用人",
    "仪器",
    "服务单位",
    "课题",
    "费用（元）",
    "创新券抵扣（元）",
    "应付（元）",
]


def _rows(statement: Statement) -> Iterator[list]:
    yield [f"{statement.organisation.name} {statement.month:%Y-%m} 费用结算单"]
    if statement.project is not None:
        yield ["课题", _project_text(statement.project)]
    yield list(HEADERS)
    for line in statement.lines:
        yield [
            line.date.isoformat(),
            KIND_TEXT[line.kind],
            line.ref,
            line.person,
            line.instrument,
            line.provider,
            line.project,
            line.charge,
            line.voucher_part,
            line.due,
        ]
    yield [
        "合计",
        "",
        len(statement.lines),
        "",
        "",
        "",
        "",
        statement.charge,
        statement.voucher_part,
        statement.due,
    ]


def statement_xlsx(statement: Statement):
    """A one-sheet workbook: title, headers, a row per line and the totals (cells guarded)."""
    return spreadsheets.xlsx_file(_rows(statement), sheet="statement")


def statement_read(
    *,
    user,
    month: datetime.date,
    project_id: int | None = None,
    organisation_id: int | None = None,
) -> Statement:
    """The statement as this reader may read it: a project's (404 when they may not see the
    project), else an organisation's (their own by default). The organisation's administrators,
    coordinators of its region and administrators read it whole; a principal investigator the
    lines of the projects they lead. Anyone else is refused (rules.may_see_statement)."""
    project = None
    if project_id is not None:
        project = selectors.project_get(pk=project_id, user=user)
        organisation = project.organisation
    elif organisation_id is not None:
        organisation = Organisation.objects.select_related("region").filter(pk=organisation_id)
        organisation = organisation.first()
        if organisation is None:
            raise NotFound(_("机构不存在。"))
    else:
        organisation = user.organisation if user.organisation_id else None
        if organisation is None:
            raise Forbidden(
                _("只有机构管理员、课题负责人和所在地区的协调员可以查看费用结算单。"),
                rule="not_statement_reader",
            )
    require(rules.may_see_statement(user=user, organisation=organisation, project=project))
    projects = None
    if project is None and not rules.sees_whole_statement(user=user, organisation=organisation):
        projects = list(
            Project.objects.filter(organisation=organisation, investigator=user).values_list(
                "pk", flat=True
            )
        )
    return statement_for(organisation=organisation, month=month, project=project, projects=projects)
