"""Password reset end to end in a real browser, in Chinese and in English: from the login
page's link, through the e-mail (read from the outbox), to signing in with the new password."""

import re

import pytest
from django.core import mail

from tests.factories import UserFactory

pytestmark = pytest.mark.browser

NEW = "a much longer new passphrase 42"

TEXTS = {
    "zh-hans": {
        "forgot": "忘记密码？",
        "send": "发送重设邮件",
        "sent": "请查收邮件",
        "set": "设置新密码",
        "done": "密码已重设",
        "login": "登录",
        "subject": "绵碚合作资源共享门户：重设密码",
    },
    "en": {
        "forgot": "Forgot your password?",
        "send": "Send the reset e-mail",
        "sent": "Check your e-mail",
        "set": "Set a new password",
        "done": "Password reset",
        "login": "Sign in",
        "subject": "Mianyang–Beibei portal: reset your password",
    },
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_forgotten_password_is_reset_from_the_e_mail(page, live_server, language, artifacts):
    words = TEXTS[language]
    UserFactory(username=f"forgetful-{language}", email=f"forgetful-{language}@example.org")
    mail.outbox.clear()
    page.goto(f"{live_server.url}/login/")
    if language == "en":
        page.click("button[name=language][value=en]")
        page.wait_for_selector("html[lang=en]")
    page.click(f"text={words['forgot']}")
    page.fill("#id_email", f"Forgetful-{language}@Example.org")
    page.click(f"button:has-text('{words['send']}')")
    page.wait_for_selector(f"h1:has-text('{words['sent']}')")

    (message,) = mail.outbox
    assert message.subject == words["subject"]
    link = re.search(r"https?://\S+/password/reset/\S+/", message.body).group(0)
    page.goto(link)
    page.wait_for_selector(f"h1:has-text('{words['set']}')")
    page.fill("#id_new_password1", NEW)
    page.fill("#id_new_password2", NEW)
    page.click(f"button:has-text('{words['set']}')")
    page.wait_for_selector(f"h1:has-text('{words['done']}')")
    page.screenshot(path=str(artifacts / f"password-reset-{language}.png"))

    page.click(f"main a:has-text('{words['login']}')")
    page.fill("#id_username", f"forgetful-{language}")
    page.fill("#id_password", NEW)
    page.click("main button[type=submit]")
    page.wait_for_selector(".site-tools .who")
    assert page.foreign_requests == []
