"""Synthetic instrument feed for the benchmarks: N rows in the national single-instrument format.

Headers are sharing.catalogue.feed.COLUMNS' Chinese names; CSV is UTF-8 with BOM (as Excel in
China writes it), XLSX is written in openpyxl's write-only mode. Rows are written one at a time,
so memory stays flat whatever N; the same seed gives the same file byte for byte.

    .venv/bin/python bench/generate_instruments.py --n 100000 --out /tmp/instruments-100k.csv
"""

import argparse
import csv
import datetime
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import instrument_vocab as V

from sharing.catalogue.feed_import.read import COLUMNS

HEADERS = [zh for _field, zh, _en in COLUMNS]
FIELDS = [field for field, _zh, _en in COLUMNS]
N_ORGANISATIONS = 300
CENTRES = {"北碚": ((106.3, 106.6), (29.7, 29.9)), "绵阳": ((104.6, 104.8), (31.4, 31.6))}
ADCODES = {"北碚": "500109", "绵阳": "510700"}
PHONES = {
    "北碚": ["023-6825", "023-6836", "023-6867", "023-6059"],
    "绵阳": ["0816-2419", "0816-6089", "0816-2480", "0816-2545"],
}
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
STATUS = (
    ["正常", "待机", "远程服务中", "偶有故障", "故障频繁", "待修", "待报废"],
    [80, 6, 2, 6, 1, 3, 2],
)
SHARING = (["外部共享", "内部共享", "不共享"], [70, 25, 5])
CHINESE_COUNTRY = {"CN": "中国", "US": "美国", "DE": "德国", "JP": "日本", "GB": "英国"}
FIRST_DAY = datetime.date(2005, 1, 1).toordinal()
LAST_DAY = datetime.date(2024, 12, 31).toordinal()


def uscc(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]


def instrument_types() -> list[tuple]:
    """(class, code, name, English name, makers, disciplines, functions, services)."""
    types = []
    for cls, (bases, modifiers, makers, disciplines, functions, services) in V.CLASSES.items():
        for b, (base, base_en) in enumerate(bases):
            for m, (mod, mod_en) in enumerate(modifiers):
                name_en = f"{mod_en} {base_en}".strip()
                code = f"{cls}{b + 1:02d}{m + 1:02d}"
                types.append(
                    (
                        cls,
                        code,
                        mod + base,
                        name_en[0].upper() + name_en[1:],
                        makers,
                        disciplines,
                        functions,
                        services,
                    )
                )
    return types


def organisations(rng: random.Random) -> list[dict]:
    """~300 owners in 北碚 and 绵阳: the real ones first, then generated firms and institutes."""
    names = [(region, name, prefix, domain) for region, name, prefix, domain in V.REAL_ORGS]
    seen = {name for _r, name, _p, _d in names}
    while len(names) < N_ORGANISATIONS:
        region = rng.choice(["北碚", "绵阳"])
        city = "重庆" if region == "北碚" else "绵阳"
        roll = rng.random()
        if roll < 0.7:
            suffix = rng.choice(["有限公司", "股份有限公司", "有限责任公司"])
            name = f"{city}{rng.choice(V.BRANDS)}{rng.choice(V.FIRM_TRADES)}{suffix}"
            domain = "example.com"
        elif roll < 0.92:
            kind = rng.choice(["研究所", "研究院", "检测中心", "工程技术研究中心"])
            name = f"{city}市{rng.choice(V.BRANDS)}{rng.choice(V.INSTITUTE_FIELDS)}{kind}"
            domain = "example.org.cn"
        else:
            name = f"{city}{rng.choice(V.BRANDS)}职业技术学院"
            domain = "example.edu.cn"
        if name not in seen:
            seen.add(name)
            names.append((region, name, f"ORG{len(names):03d}", domain))
    orgs, codes = [], set()
    for region, name, prefix, domain in names:
        (lo, hi), (la, ha) = CENTRES[region]
        firm = "公司" in name
        code = ""
        while not code or code in codes:
            body = "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
            code = uscc(("91" if firm else "12") + ADCODES[region] + body)
        codes.add(code)
        orgs.append(
            {
                "region": region,
                "name": name,
                "prefix": prefix,
                "domain": domain,
                "uscc": code,
                "lon": rng.uniform(lo + 0.01, hi - 0.01),
                "lat": rng.uniform(la + 0.01, ha - 0.01),
                "road": f"{rng.choice(V.ROADS[region])}{rng.randint(1, 400)}号",
                "platforms": rng.sample(V.PLATFORMS[region], 2),
                "seq": 0,
            }
        )
    return orgs


class _Numbers(dict):
    """Fills {i250} with a number near 250 and {f1}/{f3} with small decimals, in templates."""

    def __init__(self, rng):
        super().__init__()
        self.rng = rng

    def __missing__(self, key):
        if key.startswith("i"):
            n = int(key[1:]) * self.rng.uniform(0.5, 1.5)
            digits = max(0, int(math.log10(max(n, 1))) - 1)
            return max(1, int(round(n, -digits)))
        return self.rng.uniform(0.1, 5.0) if key == "f1" else self.rng.uniform(1.0, 10.0)


def rows(n: int, seed: int):
    """Yield n rows (lists in COLUMNS order), deterministic for the seed."""
    rng = random.Random(seed)
    types = instrument_types()
    orgs = organisations(rng)
    org_weights = [rng.paretovariate(1.2) for _ in orgs]
    numbers = _Numbers(rng)
    choice, choices, randint, uniform, random_ = (
        rng.choice,
        rng.choices,
        rng.randint,
        rng.uniform,
        rng.random,
    )
    for _ in range(n):
        cls, code, name, name_en, makers, disciplines, functions, services = choice(types)
        org = choices(orgs, org_weights)[0]
        region = org["region"]
        maker, country, models = V.MAKERS[choice(makers)]
        model = choice(models)
        if random_() < 0.15:  # a variant of the model number: SU8020 → SU8020A
            model += choice(["A", "B", "Plus", " Pro", "-II", "S"])
        if random_() < 0.1:
            country = CHINESE_COUNTRY.get(country, country)
        day = datetime.date.fromordinal(randint(FIRST_DAY, LAST_DAY))
        org["seq"] += 1
        internal_code = f"{org['prefix']}-{day.year}-{org['seq']:06d}"
        spec_templates = V.SPECS[cls]
        specs = "；".join(
            t.format_map(numbers)
            for t in rng.sample(spec_templates, randint(1, min(3, len(spec_templates))))
        )
        a = randint(5, 120) * 10
        fee = choice(V.FEES).format(a=a, b=a * 2 if random_() < 0.5 else a + 200)
        value = f"{10 ** uniform(1.6, 3.5):.2f}"
        running = uniform(200, 2400) if random_() < 0.8 else None
        contact = choice(V.SURNAMES) + choice(V.TITLES)
        email_user = choice(["yiqi", "test", "share", "lab", "sem", "ms", "xrd", "center"])
        phone = choice(PHONES[region]) + ("XXXX" if region == "北碚" else "XXX")
        booking = f"https://yq.{org['domain']}/book/{internal_code}" if random_() < 0.3 else ""
        row = {
            "internal_code": internal_code,
            "name": name,
            "name_en": name_en,
            "category_code": code,
            "purpose": "通用" if random_() < 0.75 else "专用",
            "model": model,
            "manufacturer": maker,
            "country": country,
            "original_value": value,
            "in_service_date": day.isoformat(),
            "specifications": specs,
            "functions": "；".join(rng.sample(functions, randint(1, 2))),
            "disciplines": ";".join(rng.sample(disciplines, randint(0, min(3, len(disciplines))))),
            "services": "、".join(rng.sample(services, randint(1, 3))),
            "fee_text": fee,
            "running_status": choices(*STATUS)[0],
            "sharing_mode": choices(*SHARING)[0],
            "organisation": org["name"],
            "organisation_uscc": org["uscc"],
            "platform": choice(org["platforms"]) if random_() < 0.7 else "",
            "region": region if random_() < 0.9 else ADCODES[region],
            "address": f"{org['road']} {choice(V.BUILDINGS)}{randint(1, 6)}{randint(1, 30):02d}",
            "lon": f"{org['lon'] + uniform(-0.004, 0.004):.4f}",
            "lat": f"{org['lat'] + uniform(-0.004, 0.004):.4f}",
            "contact_name": contact,
            "contact_phone": phone,
            "contact_email": f"{email_user}{randint(1, 99)}@{org['domain']}",
            "booking_url": booking,
            "annual_running_hours": f"{running:.1f}" if running else "",
            "annual_service_hours": f"{running * uniform(0.05, 0.5):.1f}" if running else "",
        }
        yield [row[f] for f in FIELDS]


def write_csv(path: Path, n: int, seed: int) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows(n, seed))


def write_xlsx(path: Path, n: int, seed: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("仪器")
    sheet.append(HEADERS)
    for row in rows(n, seed):
        sheet.append(row)
    workbook.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--format", choices=["csv", "xlsx"], default=None)
    args = parser.parse_args()
    fmt = args.format or ("xlsx" if args.out.suffix.lower() == ".xlsx" else "csv")
    started = time.perf_counter()
    (write_xlsx if fmt == "xlsx" else write_csv)(args.out, args.n, args.seed)
    elapsed = time.perf_counter() - started
    size = args.out.stat().st_size / 1e6
    print(f"{args.n} rows → {args.out} ({fmt}, {size:.1f} MB) in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
