"""Password reset and change: Django's own views in the portal's pages, their sends throttled
(portal.page_throttles.PasswordThrottle). The reset form says the same whether or not the
address belongs to an account, and e-mails only accounts that exist, are active and have a
usable password (Django's PasswordResetForm). A new password ends the person's other sessions
and API token (User.save); after a change the session that made it stays signed in.

The templates live in frontend/password/: the admin's registration/ templates of the same
names would win over ours (django.contrib.admin comes first in INSTALLED_APPS)."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from portal.page_throttles import PasswordThrottle, page_throttle

_throttled = page_throttle(throttle_class=PasswordThrottle, methods={"POST"})
T = "frontend/password/"

password_reset = _throttled(
    auth_views.PasswordResetView.as_view(
        template_name=T + "reset_form.html",
        email_template_name=T + "reset_email.txt",
        subject_template_name=T + "reset_subject.txt",
        success_url=reverse_lazy("frontend:password-reset-done"),
    )
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name=T + "reset_done.html")
password_reset_confirm = _throttled(
    auth_views.PasswordResetConfirmView.as_view(
        template_name=T + "reset_confirm.html",
        success_url=reverse_lazy("frontend:password-reset-complete"),
    )
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name=T + "reset_complete.html"
)
password_change = _throttled(
    auth_views.PasswordChangeView.as_view(
        template_name=T + "change_form.html",
        success_url=reverse_lazy("frontend:password-change-done"),
    )
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name=T + "change_done.html"
)
