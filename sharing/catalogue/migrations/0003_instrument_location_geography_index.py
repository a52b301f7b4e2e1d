from django.db import migrations


class Migration(migrations.Migration):
    """A KNN index on the spheroid: ORDER BY location::geography <-> point walks it in metres,
    so the nearest instruments come out in one index scan wherever the point is (ordering by
    degrees needed several rounds, 7.9 s for a point in Chengdu; see bench/RESULTS.md)."""

    dependencies = [("catalogue", "0002_instruments")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS instrument_location_geography "
            "ON catalogue_instrument USING gist ((location::geography)) "
            "WHERE location IS NOT NULL",
            "DROP INDEX IF EXISTS instrument_location_geography",
        )
    ]
