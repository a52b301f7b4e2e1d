"""Password reset and change: Django's own views in the portal's pages, their sends throttled
(portal.page_throttles.PasswordThrottle). The reset form says the same whether or not the
address belongs to an account, and e-mails only accounts that exist, are active and have a
usable password (Django's PasswordResetForm). A new password ends the person's other sessions
and API token (User.save); after a change the session that made it stays signed in."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from portal.page_throttles import PasswordThrottle, page_throttle

_throttled = page_throttle(throttle_class=PasswordThrottle, methods={"POST"})

password_reset = _throttled(
    auth_views.PasswordResetView.as_view(
        success_url=reverse_lazy("frontend:password-reset-done"),
        email_template_name="registration/password_reset_email.txt",
    )
)
password_reset_done = auth_views.PasswordResetDoneView.as_view()
password_reset_confirm = _throttled(
    auth_views.PasswordResetConfirmView.as_view(
        success_url=reverse_lazy("frontend:password-reset-complete")
    )
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view()
password_change = _throttled(
    auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("frontend:password-change-done"))
)
password_change_done = auth_views.PasswordChangeDoneView.as_view()
