"""The words of a notification: Chinese first, English second, times in Asia/Shanghai.

E-mails are bilingual whatever language the person who caused them had chosen, so the texts
here are fixed pairs rather than gettext messages (a request in English must not send an
English-only mail to a manager who reads Chinese). Everything a user typed (purpose, reason,
instrument names) goes out as plain text in a text/plain mail: nothing is ever interpreted as
HTML, and line breaks are flattened so a value cannot forge extra lines or mail headers.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from portal.text import one_line
from sharing.bookings.models import Booking, Notice, WaitlistEntry

SHANGHAI = ZoneInfo("Asia/Shanghai")
BRAND = "【绵碚共享】"
SIGNATURE = (
    "——\n"
    "绵碚合作资源共享门户 Mianyang–Beibei resource-sharing portal\n"
    "此邮件由系统自动发送，请勿直接回复。This message was sent automatically; please do not reply."
)

# kind → (Chinese title, English title, Chinese lead, English lead)
_TEXTS: dict[str, tuple[str, str, str, str]] = {
    Notice.REQUESTED: (
        "新的预约申请",
        "New booking request",
        "有一条新的预约申请等待您审批。",
        "A new booking request is waiting for your approval.",
    ),
    Notice.APPROVED: (
        "预约已批准",
        "Booking approved",
        "您的预约已批准，请按时上机。",
        "Your booking has been approved. Please arrive on time.",
    ),
    Notice.REJECTED: (
        "预约被拒绝",
        "Booking rejected",
        "您的预约申请未获批准。",
        "Your booking request was not approved.",
    ),
    Notice.CANCELLED: (
        "预约已取消",
        "Booking cancelled",
        "该预约已取消，时段已释放。",
        "This booking has been cancelled and its time released.",
    ),
    Notice.REMINDER_24H: (
        "上机提醒：24 小时内开始",
        "Reminder: your booking starts within 24 hours",
        "您预约的仪器将在 24 小时内开始使用。",
        "Your instrument booking starts within the next 24 hours.",
    ),
    Notice.REMINDER_1H: (
        "上机提醒：1 小时内开始",
        "Reminder: your booking starts within the hour",
        "您预约的仪器将在 1 小时内开始使用，请按时签到。",
        "Your instrument booking starts within the hour. Please check in on time.",
    ),
    Notice.WAITLIST: (
        "候补时段已空出",
        "A time you are waiting for is free",
        "您候补的时段已空出，可前往门户预约（先到先得）。",
        "A time you joined the waitlist for is free again; book it in the portal "
        "(first come, first served).",
    ),
    Notice.CLOSED: (
        "仪器停用，预约受影响",
        "Instrument closed during your booking",
        "您预约的仪器在预约时段内停用（维护、停用或故障）。",
        "The instrument you booked is closed (maintenance, closure or breakdown) during "
        "your booking.",
    ),
    Notice.PROBLEM: (
        "仪器问题报告",
        "Problem reported on an instrument",
        "有人报告了您管理的仪器的问题，请查看并处理。",
        "A problem was reported on an instrument you manage; please look at it.",
    ),
    Notice.EXPIRED: (
        "预约审批超时",
        "Booking request expired",
        "您的预约申请在规定时间内未获审批，已自动失效。",
        "Your booking request was not approved in time and has expired.",
    ),
    Notice.NO_SHOW: (
        "未到场，预约已释放",
        "Booking released as a no-show",
        "预约开始后未按时签到，该时段已释放。",
        "There was no check-in after the booking started, so its time has been released.",
    ),
}

# status → (Chinese, English); fixed here for the same reason as the texts above.
STATUS_TEXT: dict[str, tuple[str, str]] = {
    Booking.Status.REQUESTED: ("待审批", "awaiting approval"),
    Booking.Status.APPROVED: ("已批准", "approved"),
    Booking.Status.CHECKED_IN: ("使用中", "in use"),
    Booking.Status.COMPLETED: ("已完成", "completed"),
    Booking.Status.REJECTED: ("已拒绝", "rejected"),
    Booking.Status.CANCELLED: ("已取消", "cancelled"),
    Booking.Status.EXPIRED: ("审批超时", "expired"),
    Booking.Status.NO_SHOW: ("未到场", "no-show"),
}


def plain(text: str | None, *, limit: int = 300) -> str:
    """User text on one line: control characters (CR/LF included) become spaces."""
    return one_line(text, limit=limit)


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def format_period(start: datetime, end: datetime) -> str:
    """`YYYY-MM-DD HH:MM–HH:MM` in Asia/Shanghai, 24-hour; the end date only when it differs."""
    start, end = local(start), local(end)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M}"


def instrument_label(instrument) -> str:
    name = plain(instrument.name, limit=200)
    name_en = plain(getattr(instrument, "name_en", ""), limit=200)
    return f"{name}（{name_en}）" if name_en and name_en != name else name


def person_label(user) -> str:
    name = plain(user.get_full_name(), limit=100) or plain(user.username, limit=100)
    organisation = plain(user.organisation.name, limit=200) if user.organisation_id else ""
    return f"{name}（{organisation}）" if organisation else name


def _compose(*, kind: str, what: str, when: str, details: list[str]) -> tuple[str, str]:
    title_zh, title_en, lead_zh, lead_en = _TEXTS[kind]
    # The subject is one header line: everything in it has been through plain().
    subject = f"{BRAND}{title_zh} {title_en}：{what} {when}"
    body = "\n".join([lead_zh, lead_en, "", *details, "", SIGNATURE])
    return plain(subject, limit=200), body


def render(*, kind: str, booking: Booking, reason: str = "") -> tuple[str, str]:
    """Subject and plain-text body of a notification about a booking."""
    when = format_period(booking.start, booking.end)
    status_zh, status_en = STATUS_TEXT[booking.status]
    details = [
        f"仪器 Instrument：{instrument_label(booking.instrument)}",
        f"时间 Time：{when}（北京时间 Asia/Shanghai, UTC+8）",
        f"预约号 Booking：#{booking.pk}",
        f"状态 Status：{status_zh} {status_en}",
        f"用途 Purpose：{plain(booking.purpose)}",
    ]
    if kind == Notice.REQUESTED:
        details.insert(3, f"申请人 Requester：{person_label(booking.requester)}")
    if reason:
        details.append(f"说明 Reason：{plain(reason)}")
    return _compose(
        kind=kind, what=plain(booking.instrument.name, limit=100), when=when, details=details
    )


def render_waitlist(*, entry: WaitlistEntry) -> tuple[str, str]:
    """Subject and body telling a waitlisted person that their time is free."""
    when = format_period(entry.period.lower, entry.period.upper)
    details = [
        f"仪器 Instrument：{instrument_label(entry.instrument)}",
        f"时间 Time：{when}（北京时间 Asia/Shanghai, UTC+8）",
    ]
    return _compose(
        kind=Notice.WAITLIST,
        what=plain(entry.instrument.name, limit=100),
        when=when,
        details=details,
    )


# --- Training and qualifications ----------------------------------------------------------------

_TEXTS.update(
    {
        Notice.TRAINING_REQUESTED: (
            "新的培训申请",
            "New training request",
            "有人申请您管理的仪器的上机培训，请安排培训时间。",
            "Someone asks for training on an instrument you manage; please schedule it.",
        ),
        Notice.TRAINING_SCHEDULED: (
            "培训已安排",
            "Training scheduled",
            "您申请的上机培训已安排，请按时参加。",
            "Your instrument training has been scheduled. Please attend on time.",
        ),
        Notice.TRAINING_RESULT: (
            "培训结果",
            "Training result",
            "您参加的上机培训已记录结果。",
            "The result of your instrument training has been recorded.",
        ),
        Notice.QUALIFIED: (
            "上机资格已授予",
            "Qualification granted",
            "您已获得该仪器的上机资格，可以预约使用。",
            "You are qualified to use this instrument and may now book it.",
        ),
        Notice.QUALIFICATION_REVOKED: (
            "上机资格已撤销",
            "Qualification revoked",
            "您在该仪器上的上机资格已被撤销，不能再预约；已有预约请与仪器管理员联系。",
            "Your qualification on this instrument has been revoked and you can no longer book "
            "it; ask the instrument's manager about bookings you already have.",
        ),
    }
)

TRAINING_STATUS_TEXT: dict[str, tuple[str, str]] = {
    "requested": ("待安排", "awaiting scheduling"),
    "scheduled": ("已安排", "scheduled"),
    "passed": ("已通过", "passed"),
    "failed": ("未通过", "not passed"),
    "cancelled": ("已取消", "cancelled"),
}


def render_training(*, kind: str, training) -> tuple[str, str]:
    """Subject and body of a notice about a training request (models.TrainingRequest)."""
    status_zh, status_en = TRAINING_STATUS_TEXT[training.status]
    details = [
        f"仪器 Instrument：{instrument_label(training.instrument)}",
        f"申请人 Trainee：{person_label(training.user)}",
        f"培训申请 Request：#{training.pk}",
        f"状态 Status：{status_zh} {status_en}",
    ]
    when = ""
    if training.scheduled_for is not None:
        when = f"{local(training.scheduled_for):%Y-%m-%d %H:%M}"
        details.append(f"时间 Time：{when}（北京时间 Asia/Shanghai, UTC+8）")
    if training.place:
        details.append(f"地点 Place：{plain(training.place)}")
    if training.message and kind == Notice.TRAINING_REQUESTED:
        details.append(f"说明 Message：{plain(training.message)}")
    if training.outcome_note:
        details.append(f"说明 Note：{plain(training.outcome_note)}")
    return _compose(
        kind=kind, what=plain(training.instrument.name, limit=100), when=when, details=details
    )


def render_qualification(*, kind: str, qualification, reason: str = "") -> tuple[str, str]:
    """Subject and body of a notice that a qualification was granted (or renewed) or revoked."""
    until = f"{qualification.valid_until:%Y-%m-%d}"
    details = [
        f"仪器 Instrument：{instrument_label(qualification.instrument)}",
        f"有效期至 Valid until：{until}",
    ]
    if reason:
        details.append(f"说明 Reason：{plain(reason)}")
    return _compose(
        kind=kind,
        what=plain(qualification.instrument.name, limit=100),
        when=until if kind == Notice.QUALIFIED else "",
        details=details,
    )


def render_closed(
    *, booking: Booking, reason: str, cancelled: bool, offers: list[tuple[datetime, datetime]]
) -> tuple[str, str]:
    """A closure over a booking: what became of it and the nearest free times offered."""
    subject, body = render(kind=Notice.CLOSED, booking=booking, reason=reason)
    if cancelled:
        outcome = (
            "处理 Outcome：预约已取消，创新券抵扣已退回。"
            "Booking cancelled; any voucher amount refunded."
        )
    else:
        outcome = (
            "处理 Outcome：使用中的预约未取消，请尽快结束使用并签退。"
            "Your session in progress was not cancelled; please finish and check out."
        )
    lines = [outcome]
    if offers:
        lines.append("可改约的最近时段 Nearest free times：")
        lines += [f"  {format_period(start, end)}" for start, end in offers]
    head, _sep, _tail = body.partition("\n\n" + SIGNATURE)
    return subject, "\n".join([head, *lines]) + "\n\n" + SIGNATURE


def render_problem(*, problem) -> tuple[str, str]:
    """A new problem report, to the instrument's managers."""
    details = [
        f"仪器 Instrument：{instrument_label(problem.instrument)}",
        f"报告人 Reporter：{person_label(problem.reporter)}",
        f"严重程度 Severity：{plain(problem.get_severity_display())} {problem.severity}",
        f"报告号 Report：#{problem.pk}",
        f"描述 Description：{plain(problem.description, limit=500)}",
    ]
    when = f"{local(problem.created_at):%Y-%m-%d %H:%M}"
    return _compose(
        kind=Notice.PROBLEM,
        what=plain(problem.instrument.name, limit=100),
        when=when,
        details=details,
    )
