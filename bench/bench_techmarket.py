"""Technology exchange at 100,000 published listings: matching one need, and listing search.

    .venv/bin/python bench/bench_techmarket.py [--listings 100000] [--repeat 5]

Runs against a database of its own, mianbei_bench_tech (made from mianbei_template and migrated
when missing; override with DATABASE_URL, which must name a *bench* database). Listings are
generated from the vocabulary below (deterministic per --seed), COPYed into a staging table and
inserted with their search vectors built by PostgreSQL from the same jieba tokens and thesaurus
concepts as sharing.techmarket.search; only the missing ones are added, so a second run measures
straight away. The needs are the 30 of the labelled set (tests/techmarket/labelled_matches.py).

Prints, per goal, p50/p95 and the ratio to the goal:
- matching one need against all published listings (matching.matches_for_need, 30 needs ×
  --repeat), goal ≤ 300 ms; the first call's corpus statistics (ts_stat, cached after) apart;
- listing search (selectors.listing_search, first page of 20, evaluated), 20 queries of
  different selectivity × --repeat, goal p95 ≤ 50 ms; with BENCH_SHOW_PLANS=1 the plans.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DATABASE_URL", "postgis://mianbei:mianbei@127.0.0.1:5432/mianbei_bench_tech")

import bench_common as common

MATCH_GOAL_MS = 300.0
SEARCH_GOAL_MS = 50.0

# (field, industry, subjects, processes, properties, applications, keywords)
DOMAINS = [
    (
        "manufacturing",
        "C34",
        [
            "铝合金薄板",
            "不锈钢构件",
            "钛合金零件",
            "高强钢",
            "铜合金",
            "模具钢",
            "薄壁舱段",
            "管道",
        ],
        ["激光焊接", "搅拌摩擦焊", "激光清洗", "激光切割", "激光熔覆", "电子束焊接", "超声波焊接"],
        ["变形小", "焊缝气孔率低", "速度快", "无污染", "热影响区窄", "自动化程度高"],
        ["轨道交通车体", "新能源汽车电池托盘", "航空航天舱段", "船舶结构", "压力容器"],
        ["激光加工", "焊接", "表面处理", "智能装备"],
    ),
    (
        "manufacturing",
        "C35",
        ["金属粉末", "钛合金", "高温合金", "光敏树脂", "尼龙", "陶瓷浆料", "连续纤维"],
        [
            "选区激光熔化",
            "电子束熔融",
            "定向能量沉积",
            "光固化",
            "3D打印",
            "增材制造",
            "粘结剂喷射",
        ],
        ["致密度高", "复杂内腔一体成形", "材料利用率高", "成形尺寸大", "表面粗糙度低"],
        ["航空发动机零件", "医疗植入物", "随形冷却模具", "卫星支架", "个性化定制"],
        ["增材制造", "3D打印", "金属打印", "快速成形"],
    ),
    (
        "materials",
        "C30",
        ["碳纤维", "芳纶纤维", "玻璃纤维", "玄武岩纤维", "陶瓷基复合材料", "蜂窝夹层"],
        ["预浸料成型", "缠绕成型", "树脂传递模塑", "热压罐外固化", "拉挤成型", "模压成型"],
        ["比强度高", "耐高温", "轻量化", "孔隙率低", "成本低", "抗冲击"],
        ["无人机机身", "汽车轻量化", "风电叶片", "储氢气瓶", "体育器材", "雷达罩"],
        ["复合材料", "碳纤维", "轻量化", "树脂基"],
    ),
    (
        "aerospace",
        "C37",
        ["多旋翼无人机", "固定翼无人机", "垂直起降无人机", "无人直升机", "系留无人机", "飞控系统"],
        ["集群协同控制", "自主避障", "长航时设计", "油电混合动力", "精准降落", "航迹规划"],
        ["续航时间长", "载荷大", "抗风能力强", "一人多机", "无需跑道"],
        ["电力巡检", "国土测绘", "应急救援", "植保作业", "物流配送", "边境巡逻"],
        ["无人机", "航空", "飞行控制", "巡检"],
    ),
    (
        "electronics",
        "C39",
        ["北斗接收机", "GNSS天线", "惯性导航模块", "短报文终端", "授时模块", "组合导航"],
        ["高精度定位", "RTK解算", "抗干扰", "多频多系统", "低功耗设计", "紧组合"],
        ["厘米级定位", "国产芯片", "成本低", "体积小", "可靠性高"],
        ["农机自动驾驶", "形变监测", "应急通信", "车道级导航", "精准授时"],
        ["北斗", "卫星导航", "定位", "导航"],
    ),
    (
        "electronics",
        "C39",
        ["毫米波雷达", "相控阵雷达", "激光雷达", "合成孔径雷达", "探地雷达", "雷达信号处理机"],
        ["目标检测跟踪", "数字波束形成", "微多普勒识别", "杂波抑制", "点云成像", "多目标测速"],
        ["全天候工作", "探测距离远", "虚警率低", "分辨率高", "体积小"],
        ["智慧交通", "低空安防", "机场净空", "车载辅助驾驶", "周界防护"],
        ["雷达", "目标探测", "信号处理", "毫米波"],
    ),
    (
        "electronics",
        "C39",
        ["非制冷红外探测器", "制冷型红外组件", "热像仪", "紫外成像仪", "微光夜视仪", "红外镜头"],
        ["热成像", "图像增强", "温度标定", "晶圆级封装", "非均匀性校正", "目标识别"],
        ["灵敏度高", "像元小", "功耗低", "成本低", "国产化"],
        ["车载夜视", "电力巡检", "安防监控", "工业测温", "消防救援"],
        ["红外", "热成像", "夜视", "光电"],
    ),
    (
        "materials",
        "C26",
        ["防腐涂料", "吸波涂层", "热障涂层", "耐磨涂层", "防污涂料", "导电涂层", "石墨烯涂料"],
        ["等离子喷涂", "超音速火焰喷涂", "溶胶凝胶", "石墨烯改性", "多层阻抗设计", "冷喷涂"],
        ["耐盐雾时间长", "附着力好", "面密度低", "耐高温", "环保水性"],
        ["跨海桥梁", "舰船", "燃气轮机叶片", "化工储罐", "海上风电", "飞行器隐身"],
        ["特种涂层", "防腐", "表面工程", "涂料"],
    ),
    (
        "energy",
        "C38",
        [
            "三元正极材料",
            "磷酸铁锂",
            "硅碳负极",
            "固态电解质",
            "电解液添加剂",
            "隔膜",
            "钠离子电池",
        ],
        ["单晶化", "表面包覆", "纳米化", "预锂化", "湿法回收", "干法电极"],
        ["能量密度高", "循环寿命长", "安全性好", "成本低", "低温性能好"],
        ["动力电池", "储能电站", "消费电子", "电动两轮车", "电池回收"],
        ["锂电池", "电池材料", "新能源", "储能"],
    ),
    (
        "energy",
        "C38",
        ["燃料电池电堆", "金属双极板", "膜电极", "储氢气瓶", "电解槽", "加氢站压缩机"],
        ["质子交换膜", "碱性电解水", "碳纤维缠绕", "催化剂制备", "精密冲压", "固态储氢"],
        ["功率密度高", "寿命长", "成本低", "储氢密度高", "安全可靠"],
        ["氢燃料电池汽车", "绿氢制备", "分布式发电", "氢能重卡", "备用电源"],
        ["氢能", "燃料电池", "储氢", "制氢"],
    ),
    (
        "electronics",
        "C40",
        [
            "MEMS压力传感器",
            "光纤光栅传感器",
            "加速度计",
            "气体传感器",
            "温湿度传感器",
            "振动传感器",
        ],
        ["硅压阻", "MEMS工艺", "光纤布拉格光栅", "无线传输", "边缘计算", "自校准"],
        ["精度高", "耐高温", "抗电磁干扰", "功耗低", "长期稳定"],
        ["汽车电子", "结构健康监测", "工业过程控制", "环境监测", "航空机载"],
        ["传感器", "物联网", "监测", "芯片"],
    ),
    (
        "manufacturing",
        "C34",
        ["工业机器人", "协作机器人", "数控机床", "AGV小车", "视觉检测系统", "智能产线"],
        ["机器视觉", "3D视觉引导", "深度学习缺陷检测", "热误差补偿", "数字孪生", "预测性维护"],
        ["节拍快", "检出率高", "精度高", "柔性好", "免编程"],
        ["汽车零部件", "3C电子", "冲压上下料", "质量检测", "仓储物流"],
        ["智能制造", "机器人", "机器视觉", "自动化"],
    ),
    (
        "biomedicine",
        "A05",
        ["柑橘", "脐橙", "柚子", "柠檬", "茶叶", "桑蚕", "榨菜"],
        ["黄龙病快速检测", "脱毒育苗", "采后保鲜", "水肥一体化", "病虫害绿色防控", "品种选育"],
        ["田间可用", "成本低", "产量提高", "品质提升", "减少农药"],
        ["果园", "苗圃", "合作社", "农业园区", "出口基地"],
        ["柑橘", "农业", "植保", "育苗"],
    ),
    (
        "biomedicine",
        "C27",
        ["中药配方颗粒", "黄连", "中药饮片", "重组胶原蛋白", "疫苗佐剂", "诊断试剂"],
        ["指纹图谱", "提取纯化", "干法制粒", "高密度发酵", "质量标准研究", "等温扩增"],
        ["质量可控", "收率高", "稳定性好", "灵敏度高", "符合药典"],
        ["中药企业", "医院制剂", "医美", "体外诊断", "保健食品"],
        ["中药", "生物医药", "质量控制", "制剂"],
    ),
    (
        "environment",
        "N77",
        ["农村污水", "工业废水", "垃圾渗滤液", "蓝藻水华", "土壤重金属", "废旧电池"],
        ["膜生物反应器", "高级氧化", "卫星遥感监测", "生物修复", "湿法冶金", "资源化利用"],
        ["出水稳定达标", "运行成本低", "无人值守", "回收率高", "二次污染少"],
        ["乡村振兴", "工业园区", "湖库治理", "矿区修复", "电池回收企业"],
        ["环保", "水处理", "资源循环", "监测"],
    ),
    (
        "manufacturing",
        "C40",
        ["工业CT", "超声相控阵", "涡流检测仪", "射线探伤", "声发射系统", "太赫兹成像"],
        ["无损检测", "三维重建", "缺陷自动识别", "爬行器扫查", "加速器射线源", "数字射线成像"],
        ["分辨率高", "穿透能力强", "检测速度快", "缺陷定位准"],
        ["大型铸件", "焊缝检测", "复合材料构件", "固体发动机", "压力容器"],
        ["无损检测", "检测", "成像", "质量控制"],
    ),
]
PAINS = ["效率低", "成本高", "可靠性差", "依赖进口"]
TRAILS = [
    "形成了完整的工艺包和质量控制文件",
    "已在多家企业完成中试验证",
    "具备小批量生产能力",
    "核心部件实现国产化",
    "相关成果获省部级科技奖励",
    "申请发明专利多项并获授权",
    "可提供技术培训和现场指导",
    "已通过第三方检测机构检测",
]
MODES = [
    "assignment",
    "license_exclusive",
    "license_sole",
    "license_ordinary",
    "equity",
    "joint_development",
]
QUERIES = [
    {"q": "激光"},
    {"q": "碳纤维复合材料"},
    {"q": "无人机"},
    {"q": "北斗 定位"},
    {"q": "柑橘黄龙病"},
    {"q": "燃料电池 双极板"},
    {"q": "红外热成像"},
    {"q": "防腐涂料"},
    {"q": "相控阵雷达"},
    {"q": "3D打印"},
    {"q": "固态电解质"},
    {"q": "机器视觉"},
    {"q": "传感器"},
    {"q": "中药配方颗粒 指纹图谱"},
    {"q": "太赫兹"},
    {"q": "技术"},
    {"hightech_field": "energy"},
    {"region": "mianyang", "trl_min": 6},
    {"q": "无损检测", "hightech_field": "manufacturing", "transfer_mode": "license_ordinary"},
    {"q": "锂电池", "region": "beibei", "trl_min": 5, "trl_max": 8},
]


def ensure_database() -> None:
    import psycopg

    name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit(f"refusing to use database {name!r}: use a *bench* one")
    with psycopg.connect(
        "host=127.0.0.1 user=mianbei password=mianbei dbname=postgres", autocommit=True
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE mianbei_template')
            print(f"created database {name} from mianbei_template")


def owners(rng: random.Random, n: int = 300):
    """n organisations in the two regions, each with one technology owner."""
    from django.contrib.gis.geos import Point

    from portal.accounts.models import Organisation, Region, Role, User

    have = list(Organisation.objects.filter(name__startswith="基准成果单位"))
    if len(have) >= n:
        users = {u.organisation_id: u for u in User.objects.filter(organisation__in=have)}
        return [(org, users[org.pk]) for org in have]
    regions = {r.code: r for r in Region.objects.filter(code__in=["mianyang", "beibei"])}
    centres = {"mianyang": (104.7, 31.5), "beibei": (106.43, 29.82)}
    orgs = []
    for i in range(len(have), n):
        code = rng.choice(["mianyang", "beibei"])
        lon, lat = centres[code]
        orgs.append(
            Organisation(
                name=f"基准成果单位{i:04d}",
                kind=rng.choice(["firm", "research_institute", "university"]),
                region=regions[code],
                location=Point(lon + rng.uniform(-0.1, 0.1), lat + rng.uniform(-0.1, 0.1)),
                location_confidence="low",
            )
        )
    Organisation.objects.bulk_create(orgs)
    User.objects.bulk_create(
        [
            User(
                username=f"bench-owner-{o.name[-4:]}", organisation=o, roles=[Role.TECHNOLOGY_OWNER]
            )
            for o in orgs
        ]
    )
    return owners(rng, n)


def tokens(parts: list[str], text: str) -> str:
    """What search.weighted_texts makes of a text, from its fragments: their jieba tokens and
    the thesaurus concepts of the whole text."""
    from sharing.catalogue.text import segmented
    from sharing.techmarket.search import concepts

    return " ".join([segmented(p) for p in parts] + list(concepts(text)))


def listing_rows(rng: random.Random, start: int, count: int, people):
    """Generated published listings: (row values, weighted token texts)."""
    from django.utils import timezone

    now = timezone.now()
    for i in range(start, start + count):
        field, industry, subjects, processes, props, apps, keywords = rng.choice(DOMAINS)
        subject, process = rng.choice(subjects), rng.choice(processes)
        other = rng.choice(DOMAINS)
        # Each text as its fragments: jieba segments a fragment once (cached) rather than every
        # generated sentence afresh, which made generation 15 ms a listing.
        title_parts = rng.choice(
            [
                [subject, process, "技术"],
                ["基于", process, "的", subject],
                [rng.choice(props), subject, "及其", process, "方法"],
                [subject, process, "成套装备"],
            ]
        )
        chosen_props = rng.sample(props, 2)
        abstract_parts = [
            "针对",
            rng.choice(apps),
            "中",
            subject,
            rng.choice(PAINS),
            "的问题，研发",
            process,
            "技术，实现",
            chosen_props[0],
            "、",
            chosen_props[1],
            "；",
            rng.choice(TRAILS),
            "，并可与",
            rng.choice(other[3]),
            "结合。",
        ]
        points = [(p, rng.randint(10, 60)) for p in rng.sample(props, 2)]
        key_points = [f"{p}，指标优于同类产品{n}%" for p, n in points]
        apps_parts = rng.sample(apps, 3)
        numbers = (rng.randint(1, 999), rng.randint(1, 20), rng.randint(5, 80))
        specs = f"关键指标{numbers[0]}，寿命{numbers[1]}年，效率提升{numbers[2]}%"
        kws = [*rng.sample(keywords, 2), process]
        title, abstract = "".join(title_parts), "".join(abstract_parts)
        applications = "、".join(apps_parts)
        org, user = people[i % len(people)]
        texts = {
            "A": tokens(title_parts + kws, title + " ".join(kws)),
            "B": tokens(
                abstract_parts + [p for p, _n in points] + ["指标优于同类产品"],
                abstract + " ".join(key_points),
            ),
            "C": tokens(apps_parts, applications),
            "D": tokens(
                [
                    "关键指标",
                    str(numbers[0]),
                    "寿命",
                    str(numbers[1]),
                    "年",
                    "效率提升",
                    str(numbers[2]),
                ],
                specs,
            ),
        }
        modes = rng.sample(MODES, rng.randint(1, 3))
        internal = rng.random() < 0.1
        values = [
            title,
            abstract,
            key_points,
            "",
            applications,
            specs,
            kws,
            industry[0],
            industry[1:],
            "",
            field,
            rng.choices(range(1, 10), weights=[1, 2, 4, 6, 8, 8, 6, 4, 2])[0],
            "gbt22900",
            "",
            "",
            "",
            modes,
            True,
            "",
            org.pk,
            org.region_id,
            user.pk,
            "联系人",
            "",
            "",
            "internal" if internal else "public",
            False,
            False,
            "",
            "",
            "published",
            now,
            now,
            now,
            texts["A"],
            texts["B"],
            texts["C"],
            texts["D"],
        ]
        yield values


COLUMNS = [
    "title",
    "abstract",
    "key_points",
    "advantages",
    "applications",
    "specifications",
    "keywords",
    "industry_section",
    "industry_division",
    "strategic_industry",
    "hightech_field",
    "trl",
    "trl_scale",
    "trl_evidence",
    "stage",
    "ip_type",
    "transfer_modes",
    "price_negotiable",
    "pricing_route",
    "organisation_id",
    "region_id",
    "created_by_id",
    "contact_name",
    "contact_phone",
    "contact_email",
    "confidentiality",
    "export_controlled",
    "declassified",
    "declassification_authority",
    "declassification_ref",
    "status",
    "published_at",
    "created_at",
    "updated_at",
]


def generate(n: int, seed: int) -> None:
    from django.db import connection

    from sharing.techmarket.models import TechListing

    have = TechListing.objects.filter(status="published", title__gt="").count()
    if have >= n:
        print(f"{have} published listings present")
        return
    rng = random.Random(seed + have)
    people = owners(random.Random(seed))
    started = time.perf_counter()
    staging_cols = ", ".join(f"{c} {'text' if c not in ARRAYS else 'text[]'}" for c in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE staging ({staging_cols}, a text, b text, c text, d text)"
        )
        with cursor.copy(f"COPY staging ({', '.join(COLUMNS)}, a, b, c, d) FROM STDIN") as copy:
            for values in listing_rows(rng, have, n - have, people):
                copy.write_row(values)
        made = time.perf_counter()
        casts = {
            "trl": "::smallint",
            "price_negotiable": "::boolean",
            "export_controlled": "::boolean",
            "declassified": "::boolean",
            "organisation_id": "::bigint",
            "region_id": "::bigint",
            "created_by_id": "::bigint",
            "published_at": "::timestamptz",
            "created_at": "::timestamptz",
            "updated_at": "::timestamptz",
        }
        select = ", ".join(f"{c}{casts.get(c, '')}" for c in COLUMNS)
        vector = " || ".join(
            f"setweight(to_tsvector('simple', {w.lower()}), '{w}')" for w in "ABCD"
        )
        cursor.execute(
            f"INSERT INTO {TechListing._meta.db_table} ({', '.join(COLUMNS)}, search_vector) "
            f"SELECT {select}, {vector} FROM staging"
        )
        cursor.execute("DROP TABLE staging")
        # autovacuum is off on these machines: without fresh statistics the planner takes the
        # 300 new organisations for 60 and joins them first, running the GIN scan 300 times.
        for table in (TechListing._meta.db_table, "accounts_organisation", "accounts_user"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(
        f"generated {n - have} listings: text and COPY {made - started:.1f} s, "
        f"insert with vectors {time.perf_counter() - made:.1f} s"
    )


ARRAYS = {"key_points", "keywords", "transfer_modes"}


def needs():
    """The labelled set's needs, published, with a firm of their own (made once)."""
    import datetime

    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from portal.accounts.models import Organisation, Region, Role, User
    from sharing.techmarket import search
    from sharing.techmarket.models import TechNeed
    from tests.techmarket.labelled_matches import NEEDS, ORGANISATIONS

    existing = list(TechNeed.objects.filter(title__in=[n["title"] for n in NEEDS]))
    if len(existing) >= len(NEEDS):
        return existing
    regions = {r.code: r for r in Region.objects.all()}
    made = []
    for row in NEEDS:
        name, kind, region, lonlat = ORGANISATIONS[row["org"]]
        org, _ = Organisation.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "region": regions[region],
                "location": Point(*lonlat) if lonlat else None,
                "location_confidence": "medium" if lonlat else "",
            },
        )
        user, _ = User.objects.get_or_create(
            username=f"bench-{row['org']}", defaults={"organisation": org, "roles": [Role.FIRM]}
        )
        section = row["industry"][:1]
        need = TechNeed.objects.create(
            title=row["title"],
            problem=row["problem"],
            target_specs=row["target_specs"],
            keywords=row["keywords"],
            hightech_field=row["field"],
            industry_section=section,
            industry_division=row["industry"][1:],
            trl_min=row["trl"][0],
            trl_max=row["trl"][1],
            cooperation_modes=row["modes"],
            organisation=org,
            region=org.region,
            created_by=user,
            expires_on=timezone.localdate() + datetime.timedelta(days=365),
            status="published",
            published_at=timezone.now(),
        )
        search.need_refresh_search(need)
        made.append(need)
    return made


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def bench_matching(repeat: int) -> None:
    from django.core.cache import cache

    from sharing.techmarket import matching
    from sharing.techmarket.models import TechNeed

    all_needs = list(TechNeed.objects.filter(status="published").select_related("region"))
    matching.forget_corpus()
    cache.delete_many(
        [f"techmarket:corpus:v2:{common_db()}:{kind}" for kind in ("listing", "need")]
    )
    cold = timed(lambda: matching.matches_for_need(all_needs[0], limit=20))
    print(f"\nmatching: first call, with corpus statistics (ts_stat) computed: {cold:.0f} ms")
    per_need, times = [], []
    for need in all_needs:
        runs = [timed(lambda n=need: matching.matches_for_need(n, limit=20)) for _ in range(repeat)]
        times += runs
        per_need.append((common.percentile(runs, 50), need.title))
    p50, p95 = common.percentile(times, 50), common.percentile(times, 95)
    print(
        f"matching one need against the listings, {len(all_needs)} needs × {repeat}: "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(times):.0f} ms; "
        f"p95/goal {p95 / MATCH_GOAL_MS:.2f} (goal ≤ {MATCH_GOAL_MS:.0f} ms)"
    )
    for ms, title in sorted(per_need, reverse=True)[:3]:
        print(f"  slowest: {title} p50 {ms:.0f} ms")
    rematch = [timed(lambda n=need: matching.need_rematch(need_id=n.pk)) for need in all_needs[:10]]
    print(
        f"need_rematch (rank + upsert + notify), 10 needs: p50 "
        f"{common.percentile(rematch, 50):.0f} ms, max {max(rematch):.0f} ms"
    )


def common_db() -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


def bench_search(repeat: int) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection

    from sharing.techmarket.selectors import listing_search

    anonymous = AnonymousUser()
    print(f"\nlisting search (anonymous, first page of 20), {len(QUERIES)} queries × {repeat}:")
    all_times = []
    for params in QUERIES:
        qs = listing_search(user=anonymous, **params)
        list(qs[:20])  # warm
        runs = [
            timed(lambda p=params: list(listing_search(user=anonymous, **p)[:20]))
            for _ in range(repeat)
        ]
        all_times += runs
        sql, sql_params = listing_search(user=anonymous, **params)[:20].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, sql_params)
            plan = cursor.fetchone()[0][0]
            rows = _rows_matched(plan["Plan"])
        label = " ".join(f"{k}={v}" for k, v in params.items())
        print(
            f"  {label:<62} p50 {common.percentile(runs, 50):6.1f} ms  "
            f"p95 {common.percentile(runs, 95):6.1f} ms  rows read ~{rows}"
        )
        if os.environ.get("BENCH_SHOW_PLANS"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, sql_params)
                print("\n".join("      " + r[0] for r in cursor.fetchall()))
    p50, p95 = common.percentile(all_times, 50), common.percentile(all_times, 95)
    print(
        f"listing search, all runs: p50 {p50:.1f} ms, p95 {p95:.1f} ms; "
        f"p95/goal {p95 / SEARCH_GOAL_MS:.2f} (goal ≤ {SEARCH_GOAL_MS:.0f} ms)"
    )


def _rows_matched(node) -> int:
    """The largest row count any scan node produced: about how many listings the query read."""
    best = node.get("Actual Rows", 0) if "Scan" in node.get("Node Type", "") else 0
    for child in node.get("Plans", []):
        best = max(best, _rows_matched(child))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--only", choices=["matching", "search"])
    args = parser.parse_args()
    ensure_database()
    common.django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)
    common.ensure_regions()
    print(common.machine())
    print(common.postgres_version())
    print(
        common.code_version(
            "sharing/techmarket/matching/terms.py",
            "sharing/techmarket/matching/corpus.py",
            "sharing/techmarket/matching/score.py",
            "sharing/techmarket/matching/candidates.py",
            "sharing/techmarket/matching/run.py",
            "sharing/techmarket/search.py",
            "sharing/techmarket/selectors.py",
        )
    )
    generate(args.listings, args.seed)
    needs()
    if args.only != "search":
        bench_matching(args.repeat)
    if args.only != "matching":
        bench_search(args.repeat)


if __name__ == "__main__":
    main()
