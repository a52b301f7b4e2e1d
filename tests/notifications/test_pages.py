"""Notifications in the pages: my list newest first with links to what each is about, the
unread count in every page's header, marking one or all read, and the same in the API."""

import pytest
from django.utils import timezone

from portal.notifications.models import Notification
from portal.notifications.services import notify
from sharing.bookings.models import WaitlistEntry
from tests.bookings import make_booking
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def note(user, n, **kw):
    subject, body = f"通知{n}", f"正文{n}"
    return notify(kind="approved", user=user, subject=subject, body=body, extra=str(n), **kw)


@pytest.fixture
def researcher():
    return UserFactory(username="researcher", email="r@example.org")


@pytest.fixture
def outsider():
    return UserFactory(username="outsider")


def test_the_list_shows_my_notifications_newest_first_with_unread_marked(client, researcher):
    older = note(researcher, 1)
    Notification.objects.filter(pk=older.pk).update(read_at=timezone.now())
    note(researcher, 2)
    client.force_login(researcher)
    page = client.get("/notifications/").content.decode()
    assert page.index("通知2") < page.index("通知1")
    assert page.count('class="badge unread-mark"') == 1


def test_it_shows_nobody_elses_notifications(client, researcher, outsider):
    note(outsider, 1)
    client.force_login(researcher)
    assert "通知1" not in client.get("/notifications/").content.decode()


def test_each_notification_links_to_what_it_is_about(client, researcher):
    booking = make_booking(requester=researcher)
    notify(
        kind="approved",
        user=researcher,
        subject="预约已批准",
        body="b",
        about=("booking", booking.pk),
        ref=str(booking.pk),
    )
    entry = WaitlistEntry.objects.create(
        instrument=booking.instrument, user=researcher, period=booking.period
    )
    notify(kind="waitlist", user=researcher, subject="候补", body="b", about=("waitlist", entry.pk))
    client.force_login(researcher)
    page = client.get("/notifications/").content.decode()
    assert f'href="/bookings/{booking.pk}/"' in page
    assert f'href="/instruments/{booking.instrument.pk}/book/"' in page


def test_the_header_counts_unread_notifications_on_every_page(client, researcher):
    note(researcher, 1)
    note(researcher, 2)
    client.force_login(researcher)
    assert 'class="unread-count"' in client.get("/instruments/").content.decode()
    page = client.get("/").content.decode()
    assert '<span class="unread-count" title="未读通知">2</span>' in page


def test_the_header_count_costs_one_query(client, researcher, django_assert_max_num_queries):
    note(researcher, 1)
    client.force_login(researcher)
    client.get("/notifications/")
    from frontend.context_processors import _Unread

    with django_assert_max_num_queries(1):
        unread = _Unread(researcher)
        assert (unread.count, unread.more) == (1, False)


def test_marking_one_read_clears_it_and_goes_back(client, researcher):
    first = note(researcher, 1)
    client.force_login(researcher)
    answer = client.post(f"/notifications/{first.pk}/read/", {"next": "/notifications/?page=1"})
    assert answer.status_code == 302
    assert answer["Location"] == "/notifications/?page=1"
    first.refresh_from_db()
    assert first.read_at is not None


def test_view_marks_it_read_and_opens_what_it_is_about(client, researcher):
    booking = make_booking(requester=researcher)
    first = notify(
        kind="approved", user=researcher, subject="s", body="b", about=("booking", booking.pk)
    )
    client.force_login(researcher)
    answer = client.post(f"/notifications/{first.pk}/read/", {"go": "1"})
    assert answer["Location"] == f"/bookings/{booking.pk}/"


def test_it_does_not_go_back_to_another_site(client, researcher):
    first = note(researcher, 1)
    client.force_login(researcher)
    answer = client.post(f"/notifications/{first.pk}/read/", {"next": "https://evil.example/"})
    assert answer["Location"] == "/notifications/"


def test_someone_elses_notification_cannot_be_marked_read(client, researcher, outsider):
    theirs = note(outsider, 1)
    client.force_login(researcher)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_marks_only_mine(client, researcher, outsider):
    note(researcher, 1)
    note(researcher, 2)
    theirs = note(outsider, 3)
    client.force_login(researcher)
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(user=researcher, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "unread-count" not in client.get("/notifications/").content.decode()


def test_marking_read_needs_a_post(client, researcher):
    first = note(researcher, 1)
    client.force_login(researcher)
    assert client.get(f"/notifications/{first.pk}/read/").status_code == 405
    assert client.get("/notifications/read-all/").status_code == 405


def test_the_list_pages_without_counting(client, researcher):
    for n in range(25):
        note(researcher, n)
    client.force_login(researcher)
    first = client.get("/notifications/").content.decode()
    assert 'rel="next"' in first and "通知24" in first and "通知4<" not in first
    second = client.get("/notifications/?page=2").content.decode()
    assert 'rel="prev"' in second and 'rel="next"' not in second and "通知0" in second
    assert client.get("/notifications/?page=x").status_code == 200


def test_unread_only_lists_unread(client, researcher):
    read = note(researcher, 1)
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    note(researcher, 2)
    client.force_login(researcher)
    page = client.get("/notifications/?unread=1").content.decode()
    assert "通知2" in page and "通知1" not in page


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/notifications/")["Location"].startswith("/login/")


def test_subjects_are_escaped(client, researcher):
    notify(kind="approved", user=researcher, subject="<script>x</script>", body="<b>")
    client.force_login(researcher)
    page = client.get("/notifications/").content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


# --- The API ---------------------------------------------------------------------------------


def test_the_api_gives_each_notification_its_link(api, researcher):
    booking = make_booking(requester=researcher)
    notify(kind="approved", user=researcher, subject="s", body="b", about=("booking", booking.pk))
    note(researcher, 2)
    api.force_authenticate(researcher)
    rows = api.get("/api/notifications/").json()["results"]
    assert [row["link"] for row in rows] == [None, f"/bookings/{booking.pk}/"]


def test_the_api_marks_all_mine_read(api, researcher, outsider):
    note(researcher, 1)
    theirs = note(outsider, 2)
    api.force_authenticate(researcher)
    answer = api.post("/api/notifications/read-all")
    assert answer.status_code == 200 and answer.json() == {"marked": 1}
    assert api.post("/api/notifications/read-all").json() == {"marked": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_tech_notices_link_to_their_pages(researcher):
    from portal.notifications import links

    notes = [
        Notification(about_type="tech_inquiry", about_id=5),
        Notification(about_type="tech_listing", about_id=6),
        Notification(about_type="tech_need", about_id=7),
        Notification(about_type="", about_id=None),
    ]
    assert [n.link for n in links.attach(notes)] == [
        "/tech/inquiries/5/",
        "/tech/listings/6/",
        "/tech/needs/7/",
        None,
    ]
