"""What a charge waiting for a principal investigator tells people, through the outbox
(portal.notifications). Registered in BookingsConfig.ready. Texts are fixed Chinese–English
pairs, as in notify_texts.py; user text is flattened to one line."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.notifications.services import notify
from portal.text import one_line
from sharing.bookings.models import ChargeApproval
from sharing.bookings.notify_texts import BRAND, SIGNATURE


class ChargeNotice(models.TextChoices):
    WAITING = "charge_waiting", _("课题费用待审批")
    APPROVED = "charge_approved", _("课题负责人已同意费用")
    REJECTED = "charge_rejected", _("课题负责人拒绝了费用")


TEXTS: dict[str, tuple[str, str, str, str]] = {
    ChargeNotice.WAITING: (
        "课题费用待审批",
        "A charge to your project waits for you",
        "有一笔记在您负责的课题上的费用超过本单位的审批阈值，请审批。",
        "A charge to a project you lead is above your organisation's threshold; please decide.",
    ),
    ChargeNotice.APPROVED: (
        "课题负责人已同意费用",
        "Charge approved by the principal investigator",
        "课题负责人已同意这笔费用。",
        "The principal investigator approved this charge.",
    ),
    ChargeNotice.REJECTED: (
        "课题负责人拒绝了费用",
        "Charge rejected by the principal investigator",
        "课题负责人拒绝了这笔费用，相应的预约或委托已取消。",
        "The principal investigator rejected this charge; the booking or order was withdrawn.",
    ),
}


def charge_notify(*, approval: ChargeApproval, kind: str, recipients) -> None:
    title_zh, title_en, lead_zh, lead_en = TEXTS[kind]
    service = approval.service
    what = f"预约 Booking #{service.pk}" if approval.booking_id else f"委托 Order #{service.pk}"
    project, requester = approval.project, approval.requester
    lines = [
        lead_zh,
        lead_en,
        "",
        what,
        f"仪器 Instrument: {one_line(service.instrument.name)}",
        f"课题 Project: {one_line(project.number)} {one_line(project.name)}",
        f"费用 Charge: {approval.amount} 元 CNY",
        f"申请人 Requester: {one_line(requester.get_full_name() or requester.username)}",
    ]
    if approval.reason:
        lines.append(f"理由 Reason: {one_line(approval.reason)}")
    subject = f"{BRAND}{title_zh} {title_en} #{approval.pk}"
    body = "\n".join([*lines, "", SIGNATURE])
    for user in recipients:
        notify(
            kind=kind,
            user=user,
            subject=subject,
            body=body,
            about=("charge_approval", approval.pk),
            ref=f"c{approval.pk}",
        )
