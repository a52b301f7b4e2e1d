"""SQL queries per list request: GET /api/instruments/ with page_size 5, 20 and 50, with and
without q, counted with CaptureQueriesContext around Django's test Client (goal: at most 3,
whatever the page size). Anonymous visitors first, then a signed-in user (session), whose
session and user lookups count too. Runs against the bench database and writes nothing.

    .venv/bin/python bench/bench_queries.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common as common

PAGE_SIZES = (5, 20, 50)
SEARCHES = (None, "质谱", "SU8020")
GOAL = 3


def count(client, params: dict) -> tuple[int, int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/instruments/", params, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, (response.status_code, response.content[:300])
    rows = len(response.json()["results"])
    return len(captured.captured_queries), rows, [q["sql"] for q in captured.captured_queries]


def main() -> None:
    common.django_setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from sharing.catalogue.models import Instrument

    print(common.machine())
    print(f"{Instrument.objects.count()} instruments in the bench database\n")
    clients = [("anonymous", Client())]
    user = get_user_model().objects.filter(username="researcher_beibei").first()
    if user is not None:
        signed_in = Client()
        signed_in.force_login(user)
        clients.append(("signed in (session)", signed_in))

    worst = 0
    print(f"{'who':<22} {'q':<8} {'page_size':>9} {'rows':>5} {'queries':>8}")
    for who, client in clients:
        client.get("/api/instruments/", {"q": "电镜"}, HTTP_HOST="127.0.0.1")  # jieba, caches
        for q in SEARCHES:
            for size in PAGE_SIZES:
                params = {"page_size": size, **({"q": q} if q else {})}
                queries, rows, sqls = count(client, params)
                worst = max(worst, queries)
                print(f"{who:<22} {q or '—':<8} {size:>9} {rows:>5} {queries:>8}")
                if queries > GOAL:
                    for sql in sqls:
                        print("    ", sql[:160])
    verdict = "met" if worst <= GOAL else "MISSED"
    print(f"\nmost queries per request: {worst} (goal <= {GOAL}: {verdict})")


if __name__ == "__main__":
    main()
