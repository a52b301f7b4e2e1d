"""Django's four password validators, with a minimum length of ten."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.factories import UserFactory


@pytest.mark.parametrize(
    "password",
    ["short1!", "12345678901234", "password123", "zhangsan-2026"],
    ids=["too short", "all digits", "common", "like the username"],
)
def test_it_refuses_weak_passwords(db, password):
    user = UserFactory.build(username="zhangsan", first_name="张三")
    with pytest.raises(ValidationError):
        validate_password(password, user=user)


def test_it_accepts_a_long_uncommon_password(db):
    validate_password("北碚-仪器-共享-7Qz", user=UserFactory.build(username="zhangsan"))
