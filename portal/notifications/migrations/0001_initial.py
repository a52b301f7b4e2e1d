# The outbox leaves bookings for an app of its own. Its table, rows and ids are kept: the table
# is renamed, and the two foreign keys into bookings (booking, waitlist entry) become what the
# row is about (about_type, about_id), so that the outbox, below the domains, points into none.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FORWARD = """
ALTER TABLE bookings_notification ADD COLUMN about_type varchar(24) NOT NULL DEFAULT '';
ALTER TABLE bookings_notification ADD COLUMN about_id bigint NULL;
UPDATE bookings_notification SET about_type = 'booking', about_id = booking_id
 WHERE booking_id IS NOT NULL;
UPDATE bookings_notification SET about_type = 'waitlist', about_id = waitlist_entry_id
 WHERE booking_id IS NULL AND waitlist_entry_id IS NOT NULL;
ALTER TABLE bookings_notification ALTER COLUMN about_type DROP DEFAULT;
ALTER TABLE bookings_notification DROP COLUMN booking_id;
ALTER TABLE bookings_notification DROP COLUMN waitlist_entry_id;
ALTER TABLE bookings_notification RENAME TO notifications_notification;
CREATE INDEX notification_about ON notifications_notification (about_type, about_id);
ALTER TABLE notifications_notification ADD CONSTRAINT notification_about_complete
 CHECK ((about_type = '' AND about_id IS NULL) OR (about_type <> '' AND about_id IS NOT NULL));
"""

BACKWARD = """
ALTER TABLE notifications_notification DROP CONSTRAINT notification_about_complete;
DROP INDEX notification_about;
ALTER TABLE notifications_notification RENAME TO bookings_notification;
ALTER TABLE bookings_notification ADD COLUMN booking_id bigint NULL
 REFERENCES bookings_booking (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE bookings_notification ADD COLUMN waitlist_entry_id bigint NULL
 REFERENCES bookings_waitlistentry (id) DEFERRABLE INITIALLY DEFERRED;
UPDATE bookings_notification SET booking_id = about_id WHERE about_type = 'booking';
UPDATE bookings_notification SET waitlist_entry_id = about_id WHERE about_type = 'waitlist';
ALTER TABLE bookings_notification DROP COLUMN about_type;
ALTER TABLE bookings_notification DROP COLUMN about_id;
CREATE INDEX bookings_notification_booking_id ON bookings_notification (booking_id);
CREATE INDEX bookings_notification_waitlist_entry_id ON bookings_notification (waitlist_entry_id);
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("bookings", "0003_text_refuses_control_characters"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("kind", models.CharField(max_length=16)),
                        ("about_type", models.CharField(blank=True, default="", max_length=24)),
                        ("about_id", models.BigIntegerField(blank=True, null=True)),
                        ("key", models.CharField(max_length=120, unique=True)),
                        ("subject", models.CharField(max_length=200)),
                        ("body", models.TextField()),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("emailed_at", models.DateTimeField(blank=True, null=True)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "通知",
                        "verbose_name_plural": "通知",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("emailed_at__isnull", True)),
                                fields=["created_at"],
                                name="notification_unsent",
                            ),
                            models.Index(
                                fields=["user", "-created_at"], name="notification_user_recent"
                            ),
                            models.Index(
                                fields=["about_type", "about_id"], name="notification_about"
                            ),
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("about_id__isnull", True), ("about_type", "")),
                                    models.Q(
                                        models.Q(("about_type", ""), _negated=True),
                                        ("about_id__isnull", False),
                                    ),
                                    _connector="OR",
                                ),
                                name="notification_about_complete",
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
