"""The demo's projects: three projects, 西南科技大学's threshold, a booking waiting for its
principal investigator, and last month's statement with lines and a voucher part; written once
however often the demo is loaded."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from portal.accounts.models import User
from sharing.bookings.models import Booking, ChargeApproval, ChargeThreshold, Project
from sharing.bookings.projects.statements import statement_for

pytestmark = pytest.mark.django_db


def counts():
    return (
        Project.objects.count(),
        ChargeThreshold.objects.count(),
        ChargeApproval.objects.count(),
        Booking.objects.count(),
    )


def test_the_demo_has_projects_a_waiting_charge_and_a_statement(settings, tmp_path):
    settings.DEBUG = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_demo")
    assert Project.objects.count() == 3
    waiting = ChargeApproval.objects.get(status="pending")
    assert waiting.project.investigator.username == "pi_swust"
    assert waiting.requester.username == "researcher_mianyang"
    assert waiting.booking.status == Booking.Status.REQUESTED

    researcher = User.objects.get(username="researcher_mianyang")
    last_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    statement = statement_for(organisation=researcher.organisation, month=last_month)
    assert statement.lines
    assert statement.voucher_part > 0
    assert statement.charge == statement.voucher_part + statement.due

    before = counts()
    call_command("load_demo")
    assert counts() == before
