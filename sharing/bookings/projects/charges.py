"""Opening a charge approval: called by the booking and order services inside their own
transaction, when a charge to a project is above the organisation's threshold (rules.
approval_threshold). Kept apart from services.py, which calls those services back."""

from decimal import Decimal

from portal.accounts.models import User
from portal.audit.services import audit_record
from sharing.bookings.models import Booking, ChargeApproval, Project, SampleOrder
from sharing.bookings.projects.notices import ChargeNotice, charge_notify


def charge_approval_open(
    *,
    service: Booking | SampleOrder,
    project: Project,
    requester: User,
    amount: Decimal,
    threshold: Decimal,
) -> ChargeApproval:
    key = {"order": service} if isinstance(service, SampleOrder) else {"booking": service}
    approval = ChargeApproval.objects.create(
        project=project, requester=requester, amount=amount, threshold=threshold, **key
    )
    audit_record(
        actor=requester,
        action="project.charge.waiting",
        target=approval,
        changes={"amount": str(amount), "threshold": str(threshold), "project": project.number},
    )
    charge_notify(approval=approval, kind=ChargeNotice.WAITING, recipients=[project.investigator])
    return approval
