"""32 concurrent redemptions against one voucher, repeated: overdrafts (must be 0), redemptions
per second and latency per call. Each round issues a fresh voucher whose balance covers only
part of the 32 bookings, releases 32 threads (each with its own database connection) at a
barrier, and checks afterwards: balance >= 0, amount - balance == what the ledger took, the
number of successes is the expected one, every loser was refused as ``voucher_empty``.

Writes a bench organisation, instrument, bookings in 2031 and vouchers to the bench database;
they are removed at the start of the next run.

    .venv/bin/python bench/bench_vouchers.py [--rounds 20] [--threads 32]
"""

import argparse
import datetime
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common as common

FEE = Decimal("100.00")  # per booking; a voucher covers half: 50.00
ORG_NAME = "基准测试：创新券单位"
OWNER_NAME = "基准测试：仪器单位"


def fixtures():
    from portal.accounts.models import Organisation, Region, User
    from sharing.bookings.models import Booking, Voucher, VoucherEntry
    from sharing.catalogue.models import Instrument

    common.ensure_regions()
    beibei = Region.objects.get(code="beibei")
    org, _ = Organisation.objects.get_or_create(
        name=ORG_NAME, defaults={"kind": Organisation.Kind.UNIVERSITY, "region": beibei}
    )
    owner, _ = Organisation.objects.get_or_create(
        name=OWNER_NAME, defaults={"kind": Organisation.Kind.UNIVERSITY, "region": beibei}
    )
    user, _ = User.objects.get_or_create(
        username="bench_voucher_user", defaults={"organisation": org}
    )
    instrument, _ = Instrument.objects.get_or_create(
        organisation=owner,
        internal_code="BENCH-VOUCHER-1",
        defaults={
            "name": "基准测试仪器",
            "category_code": "010102",
            "category_id": "01",
            "region": beibei,
        },
    )
    # What the previous run left.
    VoucherEntry.objects.filter(voucher__organisation=org).delete()
    Booking.objects.filter(instrument=instrument).delete()
    Voucher.objects.filter(organisation=org).delete()
    return org, user, instrument, beibei


def one_round(n: int, threads: int, org, user, instrument, region) -> dict:
    from django.db import connections

    from portal.errors import RuleBroken
    from sharing.bookings.models import Booking, VoucherEntry
    from sharing.bookings.vouchers.ledger import voucher_balance_check, voucher_reserve
    from sharing.bookings.vouchers.services import voucher_issue

    share = FEE / 2
    covered = threads // 2  # the balance covers half of the bookings, plus a part of one
    amount = share * covered + Decimal("25.00")
    voucher = voucher_issue(
        issuing_region=region,
        organisation=org,
        amount=amount,
        valid_from=datetime.date(2031, 1, 1),
        valid_until=datetime.date(2031, 12, 31),
        accepted_in=[region],
        code=f"BENCH-{n:03d}-{time.time_ns() % 10**9}",
    )
    base = datetime.datetime(2031, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(days=n)
    bookings = Booking.objects.bulk_create(
        Booking(
            instrument=instrument,
            requester=user,
            period=(
                base + datetime.timedelta(minutes=30 * i),
                base + datetime.timedelta(minutes=30 * i + 30),
            ),
            blocked=(
                base + datetime.timedelta(minutes=30 * i),
                base + datetime.timedelta(minutes=30 * i + 30),
            ),
            status=Booking.Status.APPROVED,
            purpose="bench",
            rate_category=Booking.RateCategory.SAME_REGION,
            hourly_rate=FEE * 2,
            fee_estimate=FEE,
        )
        for i in range(threads)
    )
    bookings = list(Booking.objects.filter(pk__in=[b.pk for b in bookings]))
    released: list[float] = []
    # The clock starts when the last thread reaches the barrier, so connecting and starting
    # threads are not counted.
    barrier = threading.Barrier(threads, action=lambda: released.append(time.perf_counter()))
    finished: list[float] = []
    lock = threading.Lock()
    outcomes: list[str] = []
    latencies: list[float] = []

    def spend(booking):
        from django.db import connection

        try:
            # Connected before the start, as a web worker's persistent connection would be:
            # the figures are the redemption's, not PostgreSQL's connection set-up.
            connection.ensure_connection()
            barrier.wait(timeout=60)
            started = time.perf_counter()
            try:
                voucher_reserve(voucher=voucher, booking=booking, by=user)
                result = "ok"
            except RuleBroken as exc:
                result = exc.rule
            except Exception as exc:  # counted, not hidden
                result = f"error {type(exc).__name__}: {exc}"
            done = time.perf_counter()
            with lock:
                outcomes.append(result)
                latencies.append(done - started)
                finished.append(done)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=spend, args=(b,)) for b in bookings]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = max(finished) - released[0]

    voucher.refresh_from_db()
    # Only reservations are written here (no booking completes or ends): what they hold.
    taken = sum(
        VoucherEntry.objects.filter(voucher=voucher, kind="reservation").values_list(
            "amount", flat=True
        )
    )
    successes = outcomes.count("ok")
    expected = covered + 1
    overdraft = voucher.balance < 0 or taken > voucher.amount
    return {
        "overdraft": overdraft,
        "consistent": voucher_balance_check(voucher).consistent
        and taken == voucher.amount - voucher.balance,
        "successes": successes,
        "expected": expected,
        "empty": outcomes.count("voucher_empty"),
        "errors": [o for o in outcomes if o.startswith("error")],
        "latencies": latencies,
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args()

    common.django_setup()
    print(common.machine())
    print(common.postgres_version())
    print(common.code_version("sharing/bookings/vouchers/ledger.py", "bench/bench_vouchers.py"))
    org, user, instrument, region = fixtures()

    overdrafts = inconsistent = wrong_count = 0
    errors: list[str] = []
    latencies: list[float] = []
    calls = redeemed = 0
    wall = 0.0
    print(f"\n{'round':>5} {'ok':>4} {'empty':>6} {'errors':>6} {'wall ms':>8} {'p95 ms':>7}")
    for n in range(args.rounds):
        r = one_round(n, args.threads, org, user, instrument, region)
        overdrafts += r["overdraft"]
        inconsistent += not r["consistent"]
        wrong_count += r["successes"] != r["expected"]
        errors += r["errors"]
        latencies += r["latencies"]
        calls += len(r["latencies"])
        redeemed += r["successes"]
        wall += r["wall"]
        p95 = common.percentile(r["latencies"], 95) * 1000
        print(
            f"{n + 1:>5} {r['successes']:>4} {r['empty']:>6} {len(r['errors']):>6} "
            f"{r['wall'] * 1000:>8.1f} {p95:>7.1f}"
        )

    print(
        f"\n{args.rounds} rounds × {args.threads} concurrent redemptions against one voucher each"
    )
    print(f"overdrafts: {overdrafts} (must be 0)")
    print(f"ledger/balance inconsistencies: {inconsistent}")
    print(f"rounds with an unexpected number of successes: {wrong_count}")
    print(f"errors other than a refusal: {len(errors)}")
    for error in errors[:5]:
        print("   ", error)
    print(
        f"throughput: {calls / wall:.0f} calls/s, of which {redeemed / wall:.0f} redemptions/s "
        "(from the barrier's release to the last answer, summed over the rounds)"
    )
    print(
        "latency per call: "
        f"p50 {common.percentile(latencies, 50) * 1000:.1f} ms, "
        f"p95 {common.percentile(latencies, 95) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms"
    )
    if overdrafts or inconsistent or errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
