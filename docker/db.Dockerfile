# PostGIS with the RUM index extension, which ranks technology listings from the index
# (sharing/techmarket/migrations/0002_listing_search_rum.py).
FROM postgis/postgis:15-3.4
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15-rum \
    && rm -rf /var/lib/apt/lists/*
