"""The words of a notification: Chinese first, English second, times in Asia/Shanghai."""

from django.utils import timezone

from sharing.bookings.models import Booking, Notification


def _when(booking: Booking) -> str:
    start = timezone.localtime(booking.start)
    end = timezone.localtime(booking.end)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def render(*, kind: str, booking: Booking, reason: str = "") -> tuple[str, str]:
    label = Notification.Kind(kind).label
    instrument = booking.instrument.name
    subject = f"【绵碚共享】{label}：{instrument} {_when(booking)}"
    lines = [
        f"{label}",
        f"仪器 Instrument：{instrument}",
        f"时间 Time：{_when(booking)}（北京时间 Asia/Shanghai）",
        f"预约号 Booking：#{booking.pk}",
    ]
    if reason:
        lines.append(f"说明 Reason：{reason}")
    return subject, "\n".join(lines)
