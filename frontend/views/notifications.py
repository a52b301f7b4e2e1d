"""My notifications in the pages: the list (newest first, unread marked, each linking to what
it is about), marking one or all read, and how I get each kind (preferences)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.errors import RuleBroken
from portal.notifications import links
from portal.notifications.models import Channel
from portal.notifications.selectors import notification_list, preferences
from portal.notifications.services import (
    channels_offered,
    notification_mark_read,
    notification_preferences_set,
    notifications_mark_all_read,
)

PAGE_SIZE = 20
MAX_PAGE = 10_000
PAGE_ONLY = "page"  # the preference form's value for "no channel besides the pages"


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), MAX_PAGE))
    except ValueError:
        return 1


@login_required
def notification_page(request):
    """Pages by offset and one extra row, never a COUNT (like the listings)."""
    unread_only = request.GET.get("unread") == "1"
    page = _page_number(request.GET.get("page"))
    qs = notification_list(user=request.user, unread=unread_only).order_by("-created_at", "-id")
    rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    notes = links.attach(rows[:PAGE_SIZE])
    return render(
        request,
        "frontend/notifications.html",
        {
            "notes": notes,
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "unread_only": unread_only,
        },
    )


def _back(request):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("frontend:notifications")


@login_required
@require_POST
def notification_read(request, pk: int):
    """Mark one of mine read, then go where it leads (``go``) or back to the list. Someone
    else's is a 404, as if it did not exist."""
    note = notification_mark_read(user=request.user, notification_id=pk)
    if note is None:
        raise Http404(_("通知不存在。"))
    if request.POST.get("go"):
        link = links.attach([note])[0].link
        if link:
            return redirect(link)
    return _back(request)


@login_required
@require_POST
def notification_read_all(request):
    marked = notifications_mark_all_read(user=request.user)
    messages.success(request, _("已将 %(count)s 条通知标为已读。") % {"count": marked})
    return _back(request)


@login_required
def notification_preferences(request):
    """Per kind: page only, or page and e-mail (or SMS, when offered). A bad choice shows its
    message with the form as it was sent; nothing is saved."""
    user = request.user
    offered = channels_offered(user=user)
    rows = preferences(user=user)
    error = ""
    if request.method == "POST":
        choices = {}
        for row in rows:  # a kind the form leaves out keeps its setting
            value = request.POST.get(f"kind-{row['kind']}")
            if value is not None:
                row["channels"] = [] if value == PAGE_ONLY else [value]
                choices[row["kind"]] = row["channels"]
        try:
            notification_preferences_set(user=user, choices=choices)
        except RuleBroken as exc:
            error = str(exc)
        else:
            messages.success(request, _("通知偏好已保存。"))
            return redirect("frontend:notification-preferences")
    for row in rows:
        row["value"] = row["channels"][0] if row["channels"] else PAGE_ONLY
    options = [(PAGE_ONLY, _("仅页面提示"))] + [
        (value, _("页面和%(channel)s") % {"channel": label})
        for value, label in Channel.choices
        if value in offered
    ]
    return render(
        request,
        "frontend/notification_preferences.html",
        {
            "rows": rows,
            "options": options,
            "error": error,
            "no_email": not user.email,
        },
        status=400 if error else 200,
    )
