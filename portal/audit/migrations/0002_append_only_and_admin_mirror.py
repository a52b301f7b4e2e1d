"""The audit trail's two database rules.

1. Append-only: UPDATE and DELETE on audit_auditevent are refused, except the one update
   Django makes itself when a user is deleted (actor set to NULL, nothing else changed).
2. Every row Django admin writes to its log (one at a time or in bulk, as bulk deletions do)
   is mirrored into the trail in the same transaction.
"""

from django.conf import settings
from django.db import migrations

APPEND_ONLY = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""

ADMIN_MIRROR = """
CREATE FUNCTION audit_mirror_admin_log() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    detail jsonb := '{}'::jsonb;
BEGIN
    IF coalesce(NEW.change_message, '') <> '' THEN
        BEGIN
            detail := jsonb_build_object('message', NEW.change_message::jsonb);
        EXCEPTION WHEN others THEN
            detail := jsonb_build_object('message', NEW.change_message);
        END;
    END IF;
    INSERT INTO audit_auditevent
        (at, actor_id, actor_label, action, target_type, target_id, target_label, changes)
    SELECT NEW.action_time, NEW.user_id, coalesce(u.username, ''),
           CASE NEW.action_flag WHEN 1 THEN 'admin.addition' WHEN 2 THEN 'admin.change'
                                WHEN 3 THEN 'admin.deletion' ELSE 'admin.other' END,
           coalesce(ct.app_label || '.' || ct.model, ''),
           left(coalesce(NEW.object_id, ''), 64), left(NEW.object_repr, 255), detail
    FROM (SELECT 1) AS one
    LEFT JOIN {users} u ON u.id = NEW.user_id
    LEFT JOIN django_content_type ct ON ct.id = NEW.content_type_id;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_mirror_admin_log AFTER INSERT ON django_admin_log
    FOR EACH ROW EXECUTE FUNCTION audit_mirror_admin_log();
"""


def create_admin_mirror(apps, schema_editor):
    users = apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table
    schema_editor.execute(ADMIN_MIRROR.replace("{users}", schema_editor.quote_name(users)))


def drop_admin_mirror(apps, schema_editor):
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS audit_mirror_admin_log ON django_admin_log;"
        "DROP FUNCTION IF EXISTS audit_mirror_admin_log();"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunSQL(
            APPEND_ONLY,
            reverse_sql=(
                "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;"
                "DROP FUNCTION IF EXISTS audit_event_append_only();"
            ),
        ),
        migrations.RunPython(create_admin_mirror, drop_admin_mirror),
    ]
