"""Demo projects (课题): two at 西南科技大学 and one at the demo firm, 西南科技大学's approval
threshold, the demo history's bookings and orders charged to them (so last month's statement has
lines and a voucher part), and one booking above the threshold waiting for its principal
investigator. Demo only.

Written once and idempotent: projects are kept by number per organisation, the threshold by
organisation; history is charged only where no project is set yet; the waiting booking only
when its project has no charge approval.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from demo.history import TAG
from demo.orders import DEMO_TAG
from portal.accounts.models import User
from portal.errors import DomainError
from sharing.bookings.models import (
    Booking,
    ChargeApproval,
    ChargeThreshold,
    Project,
    SampleOrder,
)
from sharing.bookings.services import booking_create
from sharing.catalogue.models import Instrument

SWUST_THRESHOLD = Decimal("500.00")
# (number, name, funding source, investigator, organisation of)
PROJECTS = (
    ("KT-SWUST-2026-01", "轻量化复合材料界面表征", "national", "pi_swust", "pi_swust"),
    ("KT-SWUST-2026-07", "功能薄膜光谱研究", "provincial", "researcher_mianyang", "pi_swust"),
    ("HX-2026-003", "新能源电池材料检测（横向）", "contract", "firm_demo", "firm_demo"),
)
# Whose history goes to which project.
HISTORY = {"researcher_mianyang": "KT-SWUST-2026-01", "firm_demo": "HX-2026-003"}
WAITING_PURPOSE = "演示：课题费用待负责人审批"


def projects_demo_load(*, users: dict[str, User]) -> dict[str, int]:
    written = 0
    projects = {}
    for number, name, source, pi, of in PROJECTS:
        investigator, organisation = users[pi], users[of].organisation
        project, created = Project.objects.get_or_create(
            organisation=organisation,
            number=number,
            defaults={
                "name": name,
                "funding_source": source,
                "investigator": investigator,
                "created_by": investigator,
            },
        )
        projects[number] = project
        written += created
    swust = users["pi_swust"].organisation
    ChargeThreshold.objects.get_or_create(organisation=swust, defaults={"amount": SWUST_THRESHOLD})
    for username, number in HISTORY.items():
        project = projects[number]
        Booking.objects.filter(
            requester=users[username], purpose__contains=TAG, project__isnull=True
        ).update(project=project, project_name=project.name)
        SampleOrder.objects.filter(
            customer=users[username], project_name__endswith=DEMO_TAG, project__isnull=True
        ).update(project=project)
    waiting = _waiting_booking(users["researcher_mianyang"], projects["KT-SWUST-2026-01"])
    return {"projects": written, "waiting": int(waiting)}


def _waiting_booking(requester: User, project: Project) -> bool:
    """A booking of 西南大学's SEM three weeks ahead, on the project led by pi_swust, above the
    threshold: it waits for pi_swust before the manager may approve it."""
    if ChargeApproval.objects.filter(project=project).exists():
        return False
    instrument = Instrument.objects.filter(
        source__name="demo-sample", internal_code="SWU-2019-0001"
    ).first()
    if instrument is None:
        return False
    day = timezone.localdate() + datetime.timedelta(days=17)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    tz = timezone.get_current_timezone()
    for hour in (13, 10, 14, 9):
        start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=tz)
        try:
            booking_create(
                requester=requester,
                instrument=instrument,
                start=start,
                end=start + datetime.timedelta(hours=2),
                purpose=WAITING_PURPOSE,
                project=project,
            )
        except DomainError:
            continue
        return True
    return False
