"""More statistics on the search vector, so the planner tells a common word from a rare one.

The catalogue's search lists a query's matches by relevance only while PostgreSQL expects at
most selectors.RANKED_MAX of them (selectors.expected_matches). With the default statistics
target (100) it keeps the 1,000 most common lexemes, the least of them in about 1 % of the
instruments, and estimates every other word at 0.5 % of the table: 5,000 rows at a million,
whether the word is in one instrument or in 9,000. At 1000 it keeps about 5,000 lexemes down to
0.04 %, and estimates the others at about 180. ANALYZE then samples 300,000 rows instead of
30,000: 1 min 55 s at a million rows here, with the load average at 12 (the import runs it
after a large load).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0003_instrument_location_geography_index")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE catalogue_instrument ALTER COLUMN search_vector SET STATISTICS 1000",
            "ALTER TABLE catalogue_instrument ALTER COLUMN search_vector SET STATISTICS -1",
        )
    ]
