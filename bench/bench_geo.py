"""Layout map and spatial queries (issue 5): map build time and size, in_bbox, nearest instruments.

In the bench database (mianbei_bench, which holds the 1,000,000 instruments of bench_import):
  (1) adds synthetic platforms with bulk_create (no post_save, so no map build is enqueued):
      points spread over Beibei (106.3–106.6 E, 29.7–29.9 N) and Mianyang (104.6–104.8 E,
      31.4–31.6 N), clustered around campuses and parks plus a uniform spread; Chinese names,
      kinds, levels, hosts and location confidences. Each is marked by a place_key starting
      with "bench-geo-" and is deleted at the end (raw DELETE, so no post_delete either)
      unless --keep;
  (2) with exactly --map-platforms (10,000) of them plus the real ones: build_layout_map() (read
      the data, render both languages, write the files) --builds times into a scratch
      MEDIA_ROOT under $BENCH_DATA_DIR, never the portal's media; seconds per build and per
      step, HTML size per language (goals: build <= 5 s, HTML <= 2 MB = 2,000,000 bytes);
  (3) with all --platforms (100,000): in_bbox for 20 city-district boxes (2–5 km a side) and 4
      larger ones, each --repeat times after a warm-up: the SQL the endpoint's first page runs
      (captured, executed on a cursor), the same through the ORM (platform_geo_search + the bbox
      filter + the keyset page of 1,001 rows, as the view does), and
      GET /api/geo/platforms/?in_bbox=… through gunicorn (2 workers, 127.0.0.1, DEBUG=false);
      p50/p95 (goal: p95 <= 100 ms over the district boxes);
  (4) nearest instruments among the 1,000,000, limit 10, for 20 points in the two cities (and
      2 far points, shown apart, --far-repeat times): instruments_nearest() in-process and
      GET /api/geo/nearest-instruments/ through gunicorn, p50/p95 (goal <= 50 ms, read as
      p95), KNN rounds per point, and EXPLAIN (ANALYZE, BUFFERS) checked for an index scan on
      the location's GiST index ordered by <->.
Before anything, applies nothing: run `manage.py migrate` first. Loads the zones (zones_load())
with the geo signals disconnected. gunicorn is stopped at the end whatever happens. Every plan
is written to $BENCH_DATA_DIR/geo-plans.txt.

    .venv/bin/python bench/bench_geo.py [--platforms 100000] [--map-platforms 10000]
                                        [--repeat 10] [--builds 3] [--keep]
"""

import argparse
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common as common

CODE = [
    "geo/map/build.py",
    "geo/map/render.py",
    "geo/map/data.py",
    "geo/selectors.py",
    "geo/api/platforms.py",
]
KEY_PREFIX = "bench-geo-"
SEED = 20250605
CITIES = {
    # region code: (min_lon, min_lat, max_lon, max_lat), share of the platforms
    "beibei": ((106.3, 29.7, 106.6, 29.9), 0.6),
    "mianyang": ((104.6, 31.4, 104.8, 31.6), 0.4),
}
CITY_PREFIX = {
    "beibei": ["重庆市北碚区", "北碚", "重庆", "缙云", "嘉陵", ""],
    "mianyang": ["绵阳市", "绵阳", "四川", "涪城", "游仙", "科学城", ""],
}
KINDS = [  # kind, weight, name endings
    ("sharing_platform", 15, ["大型仪器共享平台", "分析测试公共服务平台", "检验检测服务平台"]),
    ("key_laboratory", 25, ["重点实验室", "工程实验室", "联合实验室"]),
    ("engineering_centre", 20, ["工程技术研究中心", "工程研究中心", "技术创新中心"]),
    ("incubator", 15, ["众创空间", "科技企业孵化器", "创新创业基地"]),
    ("new_rd_institute", 10, ["产业技术研究院", "研究院", "创新研究院"]),
    ("industrial_park", 15, ["产业园", "科技园", "创新产业园"]),
]
LEVELS = [("national", 5), ("provincial", 20), ("municipal", 35), ("district", 25), ("", 15)]
CONFIDENCE = [("high", 60), ("medium", 30), ("low", 10)]
FIELDS = [
    "新材料", "智能传感", "生物医药", "精密仪器", "光电", "环境监测", "微电子", "半导体",
    "智能装备", "农业生物", "食品安全", "蚕桑基因", "柑桔育种", "检测认证", "激光", "新能源",
    "核技术应用", "航空动力", "电子信息", "工业互联网", "大数据", "先进制造", "生态修复",
    "地质灾害防治", "中药材", "数字医疗", "绿色化工", "智能网联汽车",
]  # fmt: skip


# --- Set-up ----------------------------------------------------------------------------------


def disconnect_map_signals() -> None:
    """No map build is enqueued by this script (zones_load saves Zone rows)."""
    from django.db.models.signals import post_delete, post_save

    from geo.models import Zone
    from sharing.catalogue.models import Platform

    for model in (Platform, Zone):
        post_save.disconnect(sender=model, dispatch_uid=f"geo-map-save-{model.__name__}")
        post_delete.disconnect(sender=model, dispatch_uid=f"geo-map-delete-{model.__name__}")


def remove_bench_platforms() -> int:
    """Raw DELETE: no post_delete per row (and no map build); nothing references them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM catalogue_platform WHERE place_key LIKE %s", [KEY_PREFIX + "%"])
        removed = cursor.rowcount
        cursor.execute("ANALYZE catalogue_platform")
    return removed


def _weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def synthetic_platforms(n: int) -> list:
    """n unsaved Platform rows, deterministic for SEED; the first k are a fair sample of all."""
    from django.contrib.gis.geos import Point

    from portal.accounts.models import Organisation, Region
    from sharing.catalogue.models import Platform

    rng = random.Random(SEED)
    regions = {r.code: r for r in Region.objects.filter(code__in=CITIES)}
    hosts = {
        code: list(Organisation.objects.filter(region=region).values_list("id", "name"))
        for code, region in regions.items()
    }
    # 40 campuses/parks per city; 65 % of the platforms cluster around one (σ ≈ 0.8 km).
    centres = {
        code: [(rng.uniform(b[0], b[2]), rng.uniform(b[1], b[3])) for _ in range(40)]
        for code, (b, _share) in CITIES.items()
    }
    kinds = [(k, w) for k, w, _endings in KINDS]
    endings = {k: e for k, _w, e in KINDS}
    rows = []
    for i in range(n):
        code = "beibei" if rng.random() < CITIES["beibei"][1] else "mianyang"
        (x0, y0, x1, y1), _share = CITIES[code]
        if rng.random() < 0.65:
            cx, cy = rng.choice(centres[code])
            lon = min(max(rng.gauss(cx, 0.008), x0), x1)
            lat = min(max(rng.gauss(cy, 0.007), y0), y1)
        else:
            lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
        kind = _weighted(rng, kinds)
        host = rng.choice(hosts[code]) if hosts[code] and rng.random() < 0.8 else None
        owner = host[1] if host and rng.random() < 0.5 else rng.choice(CITY_PREFIX[code])
        name = f"{owner}{rng.choice(FIELDS)}{rng.choice(endings[kind])}（{i + 1:06d}）"
        rows.append(
            Platform(
                name=name,
                kind=kind,
                level=_weighted(rng, LEVELS),
                host_id=host[0] if host else None,
                region=regions[code],
                location=Point(round(lon, 6), round(lat, 6), srid=4326),
                location_confidence=_weighted(rng, CONFIDENCE),
                location_note="基准测试合成数据",
                place_key=f"{KEY_PREFIX}{i + 1:06d}",
            )
        )
    return rows


def insert(rows: list) -> float:
    from django.db import connection, transaction

    from sharing.catalogue.models import Platform

    started = time.perf_counter()
    with transaction.atomic():
        Platform.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalogue_platform")  # autovacuum may be off on this server
    return time.perf_counter() - started


# --- (2) Map build ---------------------------------------------------------------------------


def measure_map(builds: int) -> dict:
    from django.conf import settings

    from geo.map import basemaps
    from geo.map.build import build_layout_map
    from geo.map.data import read_map_data
    from geo.map.render import render_map

    results = {"builds": [], "read": [], "render": {code: [] for code, _ in settings.LANGUAGES}}
    meta = None
    for _ in range(builds):
        started = time.perf_counter()
        meta = build_layout_map()
        results["builds"].append(time.perf_counter() - started)
    # The steps apart, once more each: reading, then rendering one language at a time.
    for _ in range(builds):
        started = time.perf_counter()
        data = read_map_data()
        results["read"].append(time.perf_counter() - started)
        for code in results["render"]:
            started = time.perf_counter()
            render_map(data, basemaps.current(), code)
            results["render"][code].append(time.perf_counter() - started)
    results["meta"] = meta
    results["basemap"] = basemaps.current().name
    return results


def report_map(result: dict, media_root: str) -> dict:
    meta = result["meta"]
    counts = meta["counts"]
    builds = result["builds"]
    print(
        f"\n(2) map build: {counts['platforms']} located platforms "
        f"({counts['platforms_by_kind']}), {counts['zones']} zones, {counts['nodes']} nodes, "
        f"basemap {result['basemap']}; files in {media_root}/maps"
    )
    print(
        "    build_layout_map() (read + render "
        f"{len(result['render'])} languages + write): "
        + ", ".join(f"{t:.2f}" for t in builds)
        + f" s → median {statistics.median(builds):.2f} s, max {max(builds):.2f} s"
    )
    print(f"    read_map_data(): median {statistics.median(result['read']):.2f} s")
    for code, times in result["render"].items():
        size = meta["bytes"][code]
        print(
            f"    render_map({code}): median {statistics.median(times):.2f} s; "
            f"HTML {size:,} bytes = {size / 1e6:.2f} MB"
        )
    worst_size = max(meta["bytes"].values())
    return {
        "build_s": statistics.median(builds),
        "build_max_s": max(builds),
        "html_mb": worst_size / 1e6,
        "platforms": counts["platforms"],
    }


# --- SQL capture and timing ------------------------------------------------------------------


def capture(func) -> tuple[object, list[tuple[str, tuple]]]:
    from django.db import connection

    statements = []

    def wrapper(execute, sql, sql_params, many, context):
        statements.append((sql, sql_params))
        return execute(sql, sql_params, many, context)

    with connection.execute_wrapper(wrapper):
        result = func()
    return result, statements


def time_calls(func, repeat: int) -> list[float]:
    func()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return times


def run_sql(sql: str, sql_params) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, sql_params)
        return len(cursor.fetchall())


def explain(sql: str, sql_params) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, sql_params)
        return "\n".join(row[0] for row in cursor.fetchall())


PLAN_KEY = re.compile(r"^\s*(->\s*)?(Limit|Sort |Index Scan|Bitmap|Order By|Index Cond|Execution)")


def plan_lines(plan: str) -> str:
    """The scan, ordering and timing lines of a plan, geometry literals shortened."""
    lines = [line for line in plan.splitlines() if PLAN_KEY.match(line)]
    return "\n".join("    " + re.sub(r"'[0-9A-F]{40,}'", "'…'", line) for line in lines)


def ms(values: list[float], p: float) -> float:
    return common.percentile(values, p) * 1000


# --- (3) in_bbox -------------------------------------------------------------------------------


def district_boxes(count: int = 20) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Boxes 2–5 km a side inside the two cities (12 in Beibei, 8 in Mianyang)."""
    rng = random.Random(SEED + 1)
    boxes = []
    for i in range(count):
        code = "beibei" if i < count * 0.6 else "mianyang"
        (x0, y0, x1, y1), _share = CITIES[code]
        width_km, height_km = rng.uniform(2, 5), rng.uniform(2, 5)
        lat_c = (y0 + y1) / 2
        dlon = width_km / (111.32 * math.cos(math.radians(lat_c)))
        dlat = height_km / 110.57
        lon = rng.uniform(x0, x1 - dlon)
        lat = rng.uniform(y0, y1 - dlat)
        box = (round(lon, 4), round(lat, 4), round(lon + dlon, 4), round(lat + dlat, 4))
        boxes.append((f"{code} {width_km:.1f}×{height_km:.1f} km", box))
    return boxes


LARGE_BOXES = [
    ("北碚 centre 10×10 km", (106.37, 29.76, 106.473, 29.85)),
    ("all of Beibei", CITIES["beibei"][0]),
    ("all of Mianyang", CITIES["mianyang"][0]),
    ("both cities", (104.5, 29.6, 106.7, 31.7)),
]


def bbox_query(box):
    """What PlatformGeoApi runs for ?in_bbox=…: the selector, the filter, the keyset page."""
    from django.contrib.gis.geos import Polygon

    from geo.api.platforms import PLATFORM_PAGE
    from geo.selectors import platform_geo_search

    qs = platform_geo_search().filter(location__contained=Polygon.from_bbox(box))
    return lambda: list(qs.order_by("id")[: PLATFORM_PAGE + 1])


def bbox_matches(box) -> int:
    from django.contrib.gis.geos import Polygon

    from geo.selectors import platform_geo_search

    return platform_geo_search().filter(location__contained=Polygon.from_bbox(box)).count()


def measure_bbox(boxes, repeat: int, plans: dict) -> list[dict]:
    results = []
    for label, box in boxes:
        query = bbox_query(box)
        rows, statements = capture(query)
        assert len(statements) == 1, statements
        sql, sql_params = statements[0]
        results.append(
            {
                "label": label,
                "box": box,
                "matches": bbox_matches(box),
                "page": min(len(rows), 1000),
                "sql": time_calls(lambda s=sql, p=sql_params: run_sql(s, p), repeat),
                "orm": time_calls(query, repeat),
            }
        )
        plans[f"in_bbox {label} {box}"] = explain(sql, sql_params)
    return results


def time_http(client, path: str, params: dict, repeat: int) -> tuple[list[float], int]:
    client.get(path, params=params)  # warm-up
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, params=params)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{path} {params}: HTTP {response.status_code} {response.text[:300]}")
        size = len(response.content)
        times.append(elapsed)
    return times, size


def report_bbox(district: list[dict], large: list[dict]) -> dict:
    print(
        "\n(3) in_bbox on the platforms: first page (1,000 features; the SQL fetches 1,001 rows "
        "in id order). Times in ms, p50 / p95 per box."
    )
    print(
        "| box | lon/lat | matches | features | SQL p50 | SQL p95 | ORM p50 | ORM p95 "
        "| HTTP p50 | HTTP p95 | response |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in district + large:
        print(
            f"| {r['label']} | {','.join(str(v) for v in r['box'])} | {r['matches']:,} "
            f"| {r['page']} | {ms(r['sql'], 50):.1f} | {ms(r['sql'], 95):.1f} "
            f"| {ms(r['orm'], 50):.1f} | {ms(r['orm'], 95):.1f} "
            f"| {ms(r['http'], 50):.1f} | {ms(r['http'], 95):.1f} | {r['bytes'] / 1e3:,.0f} kB |"
        )
    summary = {}
    for name, group in (("district boxes", district), ("larger boxes", large)):
        sql = [t for r in group for t in r["sql"]]
        orm = [t for r in group for t in r["orm"]]
        http = [t for r in group for t in r["http"]]
        print(
            f"| **{name}, all runs** | | | | {ms(sql, 50):.1f} | {ms(sql, 95):.1f} "
            f"| {ms(orm, 50):.1f} | {ms(orm, 95):.1f} | {ms(http, 50):.1f} | {ms(http, 95):.1f} | |"
        )
        summary[name] = {"sql95": ms(sql, 95), "orm95": ms(orm, 95), "http95": ms(http, 95)}
    return summary


# --- (4) Nearest instruments -------------------------------------------------------------------


def nearest_points() -> list[tuple[str, float, float]]:
    rng = random.Random(SEED + 2)
    points = []
    for i in range(20):
        code = "beibei" if i < 12 else "mianyang"
        (x0, y0, x1, y1), _share = CITIES[code]
        points.append((code, round(rng.uniform(x0, x1), 5), round(rng.uniform(y0, y1), 5)))
    return points


FAR_POINTS = [("成都 (far)", 104.066, 30.657), ("渝中 (far)", 106.55, 29.56)]
KNN_INDEX = re.compile(
    r"Index Scan using \S*(catalogue_instrument_location|instrument_location_geography)\S*"
)


def measure_nearest(points, repeat: int, plans: dict) -> list[dict]:
    from geo.selectors import instruments_nearest, wgs84_point

    results = []
    for label, lon, lat in points:
        point = wgs84_point(lon, lat)

        def query(point=point):
            return instruments_nearest(point=point, limit=10)

        rows, statements = capture(query)
        sql, sql_params = statements[0]
        plan = explain(sql, sql_params)
        plans[f"nearest {label} {lon},{lat} (first of {len(statements)} rounds)"] = plan
        last_limit = re.search(r"LIMIT (\d+)", statements[-1][0])
        results.append(
            {
                "label": label,
                "lon": lon,
                "lat": lat,
                "rounds": len(statements),
                "fetched": int(last_limit.group(1)) if last_limit else 0,
                "farthest_m": rows[-1].distance_m if rows else None,
                "knn_index": bool(KNN_INDEX.search(plan)) and "Order By:" in plan,
                "selector": time_calls(query, repeat),
            }
        )
    return results


def report_nearest(near: list[dict], far: list[dict]) -> dict:
    print("\n(4) nearest instruments, limit 10. Times in ms.")
    print(
        "| point | lon,lat | KNN rounds | rows in last round | 10th nearest | selector p50 "
        "| selector p95 | HTTP p50 | HTTP p95 | KNN index in plan |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in near + far:
        print(
            f"| {r['label']} | {r['lon']},{r['lat']} | {r['rounds']} | {r['fetched']:,} "
            f"| {r['farthest_m']:,.0f} m "
            f"| {ms(r['selector'], 50):.1f} | {ms(r['selector'], 95):.1f} "
            f"| {ms(r['http'], 50):.1f} | {ms(r['http'], 95):.1f} "
            f"| {'yes' if r['knn_index'] else 'NO'} |"
        )
    summary = {}
    for name, group in (("city points", near), ("far points", far)):
        sel = [t for r in group for t in r["selector"]]
        http = [t for r in group for t in r["http"]]
        print(
            f"| **{name}, all runs** | | | | {ms(sel, 50):.1f} | {ms(sel, 95):.1f} "
            f"| | {ms(http, 50):.1f} | {ms(http, 95):.1f} | |"
        )
        summary[name] = {"sel95": ms(sel, 95), "http95": ms(http, 95)}
    summary["knn_all"] = all(r["knn_index"] for r in near + far)
    return summary


# --- gunicorn (as bench_bookings) -----------------------------------------------------------


def wait_ready(client, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if client.get("/api/geo/zones/").status_code == 200:
                return
        except Exception:  # noqa: S110 (still starting)
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def stop_gunicorn(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


# --- main --------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platforms", type=int, default=100_000)
    parser.add_argument("--map-platforms", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per box or point")
    parser.add_argument(
        "--far-repeat", type=int, default=3, help="timed runs per far point (seconds each)"
    )
    parser.add_argument("--builds", type=int, default=3, help="map builds to time")
    parser.add_argument("--keep", action="store_true", help="leave the synthetic platforms")
    parser.add_argument(
        "--no-nearest",
        action="store_true",
        help="skip (4), nearest instruments (for a database without the 1M instruments)",
    )
    args = parser.parse_args()

    # The map files go to a scratch directory, never the portal's media/maps.
    media_root = str(common.DATA_DIR / "geo-media")
    os.environ["MEDIA_ROOT"] = media_root
    common.django_setup()
    common.ensure_regions()
    disconnect_map_signals()
    from django.core.management import call_command

    # gunicorn runs with DEBUG off, which serves static files from the manifest collectstatic
    # writes (and so does a map built here with DEBUG off).
    call_command("collectstatic", interactive=False, verbosity=0)

    import logging

    import httpx

    from geo.zones_build import zones_load
    from sharing.catalogue.models import Instrument, Platform

    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(common.machine())
    print(common.postgres_version())
    print(common.code_version(*CODE))
    print(f"load average before: {os.getloadavg()}")
    print(f"zones_load(): {zones_load()}")
    removed = remove_bench_platforms()
    if removed:
        print(f"removed {removed:,} synthetic platforms left by an earlier run")
    real = Platform.objects.count()
    located_instruments = Instrument.objects.filter(location__isnull=False).count()
    print(
        f"{real} real platforms ({Platform.objects.filter(location__isnull=False).count()} "
        f"located); {located_instruments:,} instruments with a location"
    )

    started = time.perf_counter()
    rows = synthetic_platforms(args.platforms)
    print(
        f"\n(1) generated {len(rows):,} synthetic platforms "
        f"in {time.perf_counter() - started:.1f} s"
    )
    first = min(args.map_platforms, len(rows))
    seconds = insert(rows[:first])
    print(f"    bulk_create of {first:,}: {seconds:.1f} s (with ANALYZE)")

    plans: dict[str, str] = {}
    try:
        map_figures = report_map(measure_map(args.builds), media_root)

        seconds = insert(rows[first:])
        print(
            f"\n    bulk_create of the other {len(rows) - first:,}: {seconds:.1f} s; "
            f"{Platform.objects.filter(location__isnull=False).count():,} located platforms now"
        )

        district = measure_bbox(district_boxes(), args.repeat, plans)
        large = measure_bbox(LARGE_BOXES, args.repeat, plans)
        if args.no_nearest:
            near, far = [], []
        else:
            near = measure_nearest(nearest_points(), args.repeat, plans)
            far = measure_nearest(FAR_POINTS, args.far_repeat, plans)

        port = common.free_port()
        server = common.start_gunicorn(port, log_name="bench_geo-gunicorn.log", debug=False)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                wait_ready(client, time.monotonic() + 60)
                for r in district + large:
                    params = {"in_bbox": ",".join(str(v) for v in r["box"])}
                    r["http"], r["bytes"] = time_http(
                        client, "/api/geo/platforms/", params, args.repeat
                    )
                for r in near + far:
                    params = {"lon": r["lon"], "lat": r["lat"], "limit": 10}
                    r["http"], r["bytes"] = time_http(
                        client,
                        "/api/geo/nearest-instruments/",
                        params,
                        args.far_repeat if r in far else args.repeat,
                    )
        finally:
            stop_gunicorn(server)

        bbox = report_bbox(district, large)
        nearest = None if args.no_nearest else report_nearest(near, far)
    finally:
        if args.keep:
            print(
                f"\n--keep: {args.platforms:,} synthetic platforms left (place_key {KEY_PREFIX}*)"
            )
        else:
            print(f"\nremoved {remove_bench_platforms():,} synthetic platforms")

    saved = common.DATA_DIR / "geo-plans.txt"
    saved.write_text("".join(f"=== {name}\n{plan}\n\n" for name, plan in plans.items()))
    print(f"\nevery plan: {saved}")
    sample = next((name for name in plans if name.startswith("nearest")), None)
    if sample:
        print(f"the key lines of one KNN plan ({sample}):")
        print(plan_lines(plans[sample]))
    sample = next(name for name in plans if name.startswith("in_bbox"))
    print(f"and of one district in_bbox plan ({sample}):")
    print(plan_lines(plans[sample]))

    goals = [
        (
            f"map build, {map_figures['platforms']:,} platforms, both languages ≤ 5 s",
            f"median {map_figures['build_s']:.2f} s (max {map_figures['build_max_s']:.2f} s)",
            map_figures["build_s"] <= 5,
        ),
        (
            "map HTML ≤ 2 MB per language",
            f"largest {map_figures['html_mb']:.2f} MB",
            map_figures["html_mb"] <= 2,
        ),
        (
            "issue 17: map build ≤ 2 s (both languages)",
            f"median {map_figures['build_s']:.2f} s",
            map_figures["build_s"] <= 2,
        ),
        (
            "issue 17: map HTML ≤ 1 MB per language",
            f"largest {map_figures['html_mb']:.2f} MB",
            map_figures["html_mb"] <= 1,
        ),
        (
            "in_bbox p95 ≤ 100 ms (district boxes, SQL)",
            f"{bbox['district boxes']['sql95']:.1f} ms",
            bbox["district boxes"]["sql95"] <= 100,
        ),
        (
            "in_bbox p95 ≤ 100 ms (district boxes, HTTP)",
            f"{bbox['district boxes']['http95']:.1f} ms",
            bbox["district boxes"]["http95"] <= 100,
        ),
    ]
    if nearest is not None:
        goals += [
            (
                "nearest 10 among 1M ≤ 50 ms (city points, selector p95)",
                f"{nearest['city points']['sel95']:.1f} ms",
                nearest["city points"]["sel95"] <= 50,
            ),
            (
                "nearest 10 among 1M ≤ 50 ms (city points, HTTP p95)",
                f"{nearest['city points']['http95']:.1f} ms",
                nearest["city points"]["http95"] <= 50,
            ),
            ("KNN on the GiST index in every nearest plan", "", nearest["knn_all"]),
        ]
    print("\n| goal | measured | met? |")
    print("| --- | --- | --- |")
    for goal, measured, ok in goals:
        print(f"| {goal} | {measured} | {verdict(ok)} |")
    far_points = (
        ""
        if nearest is None
        else f"; far points p95: selector {nearest['far points']['sel95']:.1f} ms, "
        f"HTTP {nearest['far points']['http95']:.1f} ms"
    )
    print(
        f"\n(larger boxes p95: SQL {bbox['larger boxes']['sql95']:.1f} ms, HTTP "
        f"{bbox['larger boxes']['http95']:.1f} ms{far_points})"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
