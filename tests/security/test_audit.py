"""The audit trail: state-changing services and Django admin each leave an AuditEvent, and
the trail can only grow."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from sharing.bookings import services
from sharing.bookings.vouchers.ledger import voucher_reserve
from tests.bookings.test_vouchers import at, issue, make_booking
from tests.factories import InstrumentFactory, OrganisationFactory, UserFactory, beibei

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(db):
    org = OrganisationFactory(region=beibei())
    researcher = UserFactory(username="researcher", organisation=org)
    manager = UserFactory(username="manager", roles=[Role.INSTRUMENT_MANAGER])
    instrument = InstrumentFactory(organisation=OrganisationFactory(region=beibei()))
    instrument.managers.add(manager)
    return org, researcher, manager, instrument


def test_approving_a_booking_leaves_an_audit_event(lab):
    _org, researcher, manager, instrument = lab
    booking = make_booking(instrument, researcher, at("2026-12-01"), status="requested")
    services.booking_approve(booking=booking, by=manager)
    [event] = AuditEvent.objects.filter(action="booking.approved")
    assert event.actor == manager
    assert event.actor_label == "manager"
    assert (event.target_type, event.target_id) == ("bookings.booking", str(booking.pk))
    assert event.changes == {"status": ["requested", "approved"]}


def test_a_rejection_keeps_its_reason_and_the_system_acts_as_system(lab):
    _org, researcher, manager, instrument = lab
    booking = make_booking(instrument, researcher, at("2026-12-01"), status="requested")
    services.booking_reject(booking=booking, by=manager, reason="设备检修")
    event = AuditEvent.objects.get(action="booking.rejected")
    assert event.changes["reason"] == "设备检修"
    audit_record(actor=None, action="booking.expired", target=booking)
    assert AuditEvent.objects.get(action="booking.expired").actor_label == "system"


def test_reserving_a_voucher_leaves_an_audit_event(lab):
    org, researcher, _manager, instrument = lab
    voucher = issue(org)
    booking = make_booking(instrument, researcher, at("2026-12-01"))
    entry = voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    [event] = AuditEvent.objects.filter(action="voucher.reserved")
    assert event.actor == researcher
    assert (event.target_type, event.target_id) == ("bookings.voucher", str(voucher.pk))
    assert event.changes == {"booking": booking.pk, "amount": "100.00", "entry": entry.pk}


def test_cancelling_records_the_cancel_and_the_release(lab):
    org, researcher, _manager, instrument = lab
    voucher = issue(org)
    start = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3)
    booking = make_booking(instrument, researcher, start)
    voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    services.booking_cancel(booking=booking, by=researcher)
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["voucher.reserved", "booking.cancelled", "voucher.released"]


def test_an_admin_change_leaves_an_audit_event(lab):
    _org, researcher, _manager, _instrument = lab
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    page = browser.get(f"/admin/accounts/user/{researcher.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, list | dict)
    }
    data.update(
        {
            "username": "researcher",
            "roles": "researcher,broker",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
            "organisation": researcher.organisation_id,
        }
    )
    data.pop("last_login", None)
    data.pop("password", None)
    response = browser.post(f"/admin/accounts/user/{researcher.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    [event] = AuditEvent.objects.filter(action="admin.change")
    assert event.actor == admin
    assert (event.target_type, event.target_id) == ("accounts.user", str(researcher.pk))
    assert event.target_label == "researcher"
    assert event.changes["message"][0]["changed"]["fields"]


def test_an_admin_bulk_deletion_is_mirrored_row_by_row(lab):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    first, second = UserFactory(username="gone1"), UserFactory(username="gone2")
    browser = Client()
    browser.force_login(admin)
    response = browser.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    labels = set(
        AuditEvent.objects.filter(action="admin.deletion").values_list("target_label", flat=True)
    )
    assert labels == {"gone1", "gone2"}


def test_the_trail_refuses_updates_and_deletes(lab):
    _org, researcher, _manager, _instrument = lab
    event = audit_record(actor=researcher, action="test.done", target=researcher)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="test.undone")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.done"


def test_deleting_a_person_keeps_their_trail_by_name(lab):
    _org, researcher, _manager, _instrument = lab
    stranger = UserFactory(username="stranger")
    audit_record(actor=stranger, action="test.done", target=researcher)
    stranger.delete()
    event = AuditEvent.objects.get(action="test.done")
    assert event.actor is None
    assert event.actor_label == "stranger"


def test_the_admin_shows_the_trail_read_only(lab):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    event = audit_record(actor=admin, action="test.done", target=admin)
    browser = Client()
    browser.force_login(admin)
    assert browser.get("/admin/audit/auditevent/").status_code == 200
    assert browser.get("/admin/audit/auditevent/add/").status_code == 403
    change = browser.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert browser.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403


def test_record_is_importable_from_the_package(lab):
    import portal.audit

    _org, researcher, _manager, _instrument = lab
    event = portal.audit.record(actor=researcher, action="test.done", target=researcher)
    assert event.target_type == "accounts.user"
