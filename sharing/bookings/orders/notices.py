"""What sample-testing orders tell people, through the outbox (portal.notifications).

The kinds are registered in BookingsConfig.ready. Texts are fixed Chinese–English pairs, as in
notify_texts.py: the mail is bilingual whatever language the person who caused it had chosen.
User text (names, reasons) is flattened to one line.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.notifications.services import notify
from portal.text import one_line
from sharing.bookings.models import SampleOrder
from sharing.bookings.notify_texts import BRAND, SIGNATURE


class OrderNotice(models.TextChoices):
    SUBMITTED = "order_submitted", _("新的委托测试")
    QUOTED = "order_quoted", _("委托测试已报价")
    ACCEPTED = "order_accepted", _("委托人已确认报价")
    RECEIVED = "order_received", _("样品已接收")
    TESTING = "order_testing", _("样品检测中")
    REPORTED = "order_reported", _("检测报告已出具")
    CLOSED = "order_closed", _("委托测试已完成")
    CANCELLED = "order_cancelled", _("委托测试已取消")


# kind → (Chinese title, English title, Chinese lead, English lead)
TEXTS: dict[str, tuple[str, str, str, str]] = {
    OrderNotice.SUBMITTED: (
        "新的委托测试",
        "New sample-testing order",
        "有一份新的委托测试等待您报价。",
        "A new sample-testing order is waiting for your quote.",
    ),
    OrderNotice.QUOTED: (
        "委托测试已报价",
        "Your order has a quote",
        "仪器管理员已报价，请确认后寄送样品。",
        "The instrument's manager has quoted; please accept the quote before sending samples.",
    ),
    OrderNotice.ACCEPTED: (
        "委托人已确认报价",
        "Quote accepted",
        "委托人已确认报价，请等待样品送达。",
        "The customer accepted the quote; the samples are on their way.",
    ),
    OrderNotice.RECEIVED: (
        "样品已接收",
        "Samples received",
        "您的样品已送达并接收。",
        "Your samples have arrived and were received.",
    ),
    OrderNotice.TESTING: (
        "样品检测中",
        "Testing started",
        "您的样品已开始检测。",
        "Testing of your samples has started.",
    ),
    OrderNotice.REPORTED: (
        "检测报告已出具",
        "Test report issued",
        "检测报告已出具，请登录门户下载。",
        "The test report has been issued; sign in to download it.",
    ),
    OrderNotice.CLOSED: (
        "委托测试已完成",
        "Order closed",
        "该委托测试已完成。",
        "This sample-testing order is closed.",
    ),
    OrderNotice.CANCELLED: (
        "委托测试已取消",
        "Order cancelled",
        "该委托测试已取消。",
        "This sample-testing order has been cancelled.",
    ),
}
TO_MANAGERS = (OrderNotice.SUBMITTED, OrderNotice.ACCEPTED)


def render(*, kind: str, order: SampleOrder, reason: str = "") -> tuple[str, str]:
    title_zh, title_en, lead_zh, lead_en = TEXTS[kind]
    instrument = one_line(order.instrument.name)
    subject = f"{BRAND}{title_zh} {title_en} #{order.pk}"
    lines = [
        lead_zh,
        lead_en,
        "",
        f"委托单 Order: #{order.pk}",
        f"仪器 Instrument: {instrument}",
        f"状态 Status: {order.get_status_display()}",
    ]
    if order.quoted_price is not None:
        lines.append(f"报价 Quote: {order.quoted_price} 元 CNY, {order.quoted_date:%Y-%m-%d}")
    if reason:
        lines.append(f"理由 Reason: {one_line(reason)}")
    return subject, "\n".join([*lines, "", SIGNATURE])


def order_notify(
    *, order: SampleOrder, kind: str, by=None, reason: str = "", extra: str = ""
) -> None:
    """A new order and an accepted quote go to the instrument's managers; every other change
    to the customer; a cancellation to the side that did not cancel."""
    if kind == OrderNotice.CANCELLED:
        managers = list(order.instrument.managers.all())
        recipients = [order.customer] if by is None or by.pk != order.customer_id else managers
    elif kind in TO_MANAGERS:
        recipients = list(order.instrument.managers.all())
    else:
        recipients = [order.customer]
    subject, body = render(kind=kind, order=order, reason=reason)
    for user in recipients:
        notify(
            kind=kind,
            user=user,
            subject=subject,
            body=body,
            about=("sample_order", order.pk),
            ref=f"o{order.pk}",
            extra=extra,
        )
