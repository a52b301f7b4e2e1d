"""A RUM index on the listing search vector, beside the GIN one: it stores the positions that
ranking needs, so `search_vector <=> query` ordered with a LIMIT reads only a page of matches
instead of ranking every one (see selectors.listing_search).

The rum extension is not trusted: provisioning (scripts/provision.sh) creates it as the
superuser, and this only checks, so that a database without it fails here with a clear error.
"""

from django.db import migrations

REQUIRE_RUM = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'rum') THEN
        CREATE EXTENSION rum;
    END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("techmarket", "0001_initial")]

    operations = [
        migrations.RunSQL(REQUIRE_RUM, migrations.RunSQL.noop),
        migrations.RunSQL(
            "CREATE INDEX listing_search_rum ON techmarket_techlisting "
            "USING rum (search_vector rum_tsvector_ops)",
            "DROP INDEX IF EXISTS listing_search_rum",
        ),
    ]
