"""Document frequencies among the live listings (or needs), for the idf of the score: computed
afresh for a small corpus, cached and reused for a large one."""

import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from sharing.techmarket.models import TechListing, TechNeed


@dataclass
class Corpus:
    n: int
    avgdl: float
    df: dict[str, int]

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def idfs(self, terms) -> dict[str, float]:
        return {t: self.idf(t) for t in terms}


def _live(kind: str) -> str:
    """The SQL condition of a live document; the date is the portal's (Asia/Shanghai), not the
    database session's, which is UTC and a day behind in the small hours."""
    if kind == "listing":
        return "status = 'published'"
    return f"status = 'published' AND expires_on >= '{timezone.localdate().isoformat()}'"


_TABLES = {"listing": TechListing._meta.db_table, "need": TechNeed._meta.db_table}
# Below this many documents the statistics are computed afresh each time (milliseconds); above,
# they are cached and reused while the corpus has changed by at most 1 % and for at most 6 h:
# idf hardly moves with a few more documents, and ts_stat over 100,000 vectors takes seconds.
SMALL_CORPUS = 1_000
CORPUS_TTL = 6 * 3600
_local: dict[str, tuple[float, Corpus]] = {}


def _size(kind: str) -> int:
    """How big the corpus is: the planner's row estimate of the table (free) when it is large,
    the exact count of live documents when it is small. Only compared with itself, to notice
    that the corpus grew or shrank."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [_TABLES[kind]]
        )
        estimate = cursor.fetchone()[0]
        if estimate >= SMALL_CORPUS:
            return estimate
        cursor.execute(f"SELECT count(*) FROM {_TABLES[kind]} WHERE {_live(kind)}")  # noqa: S608
        return cursor.fetchone()[0]


def _compute_corpus(kind: str) -> Corpus:
    table, live = _TABLES[kind], _live(kind)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce(avg(length(search_vector)), 0) FROM {table} WHERE {live}"  # noqa: S608
        )
        n, avgdl = cursor.fetchone()
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat(%s)",
            [f"SELECT search_vector FROM {table} WHERE {live} AND search_vector IS NOT NULL"],  # noqa: S608
        )
        df = dict(cursor.fetchall())
    return Corpus(n=n, avgdl=float(avgdl) or 1.0, df=df)


def _key(kind: str) -> str:
    return f"techmarket:corpus:v2:{connection.settings_dict['NAME']}:{kind}"


def corpus(kind: str) -> Corpus:
    """Document frequencies among the live listings (or needs), for idf."""
    n = _size(kind)
    if n < SMALL_CORPUS:
        return _compute_corpus(kind)
    key = _key(kind)
    now = time.time()

    def fresh(entry):
        return entry and now - entry[0] < CORPUS_TTL and abs(entry[1] - n) <= 0.01 * n

    entry = _local.get(key)
    if not fresh(entry):
        entry = cache.get(key)
        if not fresh(entry):
            entry = (now, n, _compute_corpus(kind))
            cache.set(key, entry, CORPUS_TTL)
        _local[key] = entry
    return entry[2]


def cached_corpus(kind: str) -> Corpus | None:
    """The corpus statistics if some process already computed them (never computes: for
    requests, which must not wait seconds for ts_stat)."""
    key = _key(kind)
    entry = _local.get(key)
    if entry is None or time.time() - entry[0] > CORPUS_TTL:
        entry = cache.get(key)
        if entry is None:
            return None
        _local[key] = entry
    return entry[2]


# The worker warms the statistics up when it starts and beat refreshes them every hour once they
# are this old, so they are replaced before they expire (CORPUS_TTL) and no match waits seconds
# for ts_stat: not the first one after a restart (Redis restarted empty, or more than 6 h since
# the last computation), nor the first one after the entry expired.
REFRESH_AFTER = CORPUS_TTL - 3600


def corpus_warm(kind: str) -> bool:
    """Compute and cache the statistics unless the cache holds fresh ones (younger than
    REFRESH_AFTER, corpus within 1 % of its size). Returns whether it computed."""
    n = _size(kind)
    if n < SMALL_CORPUS:
        return False  # computed afresh by every match anyway, in milliseconds
    key, now = _key(kind), time.time()
    entry = cache.get(key)
    if entry and now - entry[0] < REFRESH_AFTER and abs(entry[1] - n) <= 0.01 * n:
        _local[key] = entry
        return False
    entry = (now, n, _compute_corpus(kind))
    cache.set(key, entry, CORPUS_TTL)
    _local[key] = entry
    return True


def forget_corpus() -> None:
    _local.clear()
