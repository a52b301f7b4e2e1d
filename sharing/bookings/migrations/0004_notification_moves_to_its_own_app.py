# The outbox's table now belongs to portal.notifications (its 0001 renamed and reshaped it);
# bookings only forgets the model.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0003_text_refuses_control_characters"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
