"""Demo technologies and needs, so the exchange's pages have something to show. Demo only:
the texts are written for the demo, not taken from real listings."""

import datetime

from django.db import transaction
from django.utils import timezone

from portal.accounts.models import User
from sharing.techmarket import search
from sharing.techmarket.models import BrokerProfile, TechListing, TechNeed

LISTINGS = [
    {
        "title": "碳纤维复合材料无人机机身一体化成型技术（演示）",
        "abstract": "采用热压罐与模压结合的一体化成型工艺，减少机身零件数量和连接件，减重约30%。",
        "key_points": ["一体化成型", "减重30%", "适合中小批量"],
        "keywords": ["碳纤维", "复合材料", "无人机", "轻量化"],
        "applications": "工业级无人机、通用航空部件、轨道交通内饰件",
        "specifications": "拉伸强度≥1500 MPa；孔隙率≤1%",
        "hightech_field": "materials",
        "strategic_industry": "new_materials",
        "industry_section": "C",
        "industry_division": "37",
        "trl": 6,
        "trl_evidence": "中试样机通过第三方检测",
        "stage": "pilot",
        "ip_type": "invention",
        "transfer_modes": ["license_ordinary", "joint_development"],
        "price_negotiable": True,
    },
    {
        "title": "北斗高精度定位终端模组（演示）",
        "abstract": "支持北斗三号多频点RTK，厘米级定位，功耗低，适用于农机自动驾驶和边坡监测。",
        "key_points": ["多频RTK", "厘米级", "低功耗"],
        "keywords": ["北斗", "高精度定位", "RTK", "导航"],
        "applications": "智慧农业、地质灾害监测、物流车辆",
        "hightech_field": "electronics",
        "strategic_industry": "next_gen_it",
        "industry_section": "C",
        "industry_division": "39",
        "trl": 8,
        "trl_evidence": "已小批量供货",
        "stage": "production",
        "ip_type": "software",
        "transfer_modes": ["assignment", "license_exclusive"],
        "price": "260.00",
        "pricing_route": "listing",
    },
    {
        "title": "柑橘黄龙病快速检测试剂盒（演示）",
        "abstract": "基于等温扩增的田间快速检测方法，30分钟出结果，无需专业实验室。",
        "key_points": ["等温扩增", "30分钟", "田间可用"],
        "keywords": ["柑橘", "黄龙病", "快速检测", "农业"],
        "applications": "柑橘种植基地、苗木检疫",
        "hightech_field": "biomedicine",
        "strategic_industry": "biotech",
        "industry_section": "M",
        "industry_division": "75",
        "trl": 5,
        "trl_evidence": "田间对比试验报告",
        "stage": "pilot_small",
        "ip_type": "invention",
        "transfer_modes": ["license_ordinary"],
        "price": "35.00",
        "pricing_route": "agreement",
    },
]

NEEDS = [
    {
        "title": "寻求轻量化无人机机臂材料方案（演示）",
        "problem": "现有铝合金机臂偏重，植保无人机续航不足，希望换用复合材料并能批量生产。",
        "target_specs": "机臂减重25%以上，成本增加不超过15%",
        "keywords": ["轻量化", "碳纤维", "无人机"],
        "hightech_field": "materials",
        "trl_min": 5,
        "trl_max": 8,
        "cooperation_modes": ["license_ordinary", "joint_development"],
        "budget": "120.00",
    },
    {
        "title": "农机自动驾驶用定位模块（演示）",
        "problem": "拖拉机自动导航需要厘米级定位，现有进口模块价格高、供货慢。",
        "target_specs": "水平精度≤2.5 cm，支持北斗三号",
        "keywords": ["北斗", "定位", "农机"],
        "hightech_field": "electronics",
        "trl_min": 7,
        "trl_max": 9,
        "cooperation_modes": ["assignment"],
        "budget": "300.00",
    },
]


@transaction.atomic
def techmarket_demo_load(*, owner: User, firm: User, broker: User) -> dict:
    BrokerProfile.objects.get_or_create(
        user=broker, defaults={"fields": ["materials", "electronics", "biomedicine"]}
    )
    now = timezone.now()
    listings = 0
    for data in LISTINGS:
        listing, created = TechListing.objects.get_or_create(
            title=data["title"],
            defaults={
                **data,
                "organisation_id": owner.organisation_id,
                "region_id": owner.organisation.region_id,
                "created_by": owner,
                "contact_name": owner.first_name or owner.username,
                "contact_phone": "023-00000000",
                "status": TechListing.Status.PUBLISHED,
                "published_at": now,
            },
        )
        if created:
            search.listing_refresh_search(listing)
        listings += 1
    needs = 0
    for data in NEEDS:
        need, created = TechNeed.objects.get_or_create(
            title=data["title"],
            defaults={
                **data,
                "organisation_id": firm.organisation_id,
                "region_id": firm.organisation.region_id,
                "created_by": firm,
                "expires_on": timezone.localdate() + datetime.timedelta(days=180),
                "status": TechNeed.Status.PUBLISHED,
                "published_at": now,
            },
        )
        if created:
            search.need_refresh_search(need)
        needs += 1
    # Matched here rather than by the worker, so the demo shows matches at once.
    from sharing.techmarket import matching

    for need in TechNeed.objects.filter(title__in=[n["title"] for n in NEEDS]):
        matching.need_rematch(need_id=need.pk)
    return {"listings": listings, "needs": needs}


# Contracts the firm signed on two listings, carried by the broker through the exchange's own
# services to 技术合同认定登记, so the register and 技术合同成交额 have figures.
CONTRACTS = [
    # (listing title, contract type, amount in 万元, days before today signed, registered)
    ("北斗高精度定位终端模组（演示）", "license", "180.00", 75, 60),
    ("柑橘黄龙病快速检测试剂盒（演示）", "service", "28.50", 40, 25),
]


@transaction.atomic
def contracts_demo_load(*, firm: User, broker: User) -> int:
    """Registered contracts between the demo firm and the owner's listings; once each."""
    from decimal import Decimal

    from sharing.techmarket.models import Inquiry, TechContract
    from sharing.techmarket.services.deals import (
        contract_record,
        contract_register,
        inquiry_advance,
        inquiry_create,
    )

    today = timezone.localdate()
    start_of_year = datetime.date(today.year, 1, 1)
    registered = 0
    for number, (title, kind, amount, signed_ago, registered_ago) in enumerate(CONTRACTS, 1):
        listing = TechListing.objects.filter(title=title).first()
        if listing is None:
            continue
        if TechContract.objects.filter(
            inquiry__listing=listing, inquiry__firm_id=firm.organisation_id
        ).exists():
            registered += 1
            continue
        inquiry = inquiry_create(user=firm, listing=listing, nda_accepted=True)
        if inquiry.broker_id != broker.pk:
            Inquiry.objects.filter(pk=inquiry.pk).update(broker=broker)
            inquiry.broker = broker
        for stage in (
            Inquiry.Stage.CONTACTED,
            Inquiry.Stage.NDA_SIGNED,
            Inquiry.Stage.NEGOTIATING,
        ):
            inquiry = inquiry_advance(user=broker, inquiry=inquiry, to=stage)
        # Within this year, so the dashboard's year shows them.
        signed_on = max(start_of_year, today - datetime.timedelta(days=signed_ago))
        registered_on = max(signed_on, today - datetime.timedelta(days=registered_ago))
        contract_record(
            user=broker,
            inquiry=inquiry,
            contract_type=kind,
            amount=Decimal(amount),
            signed_on=signed_on,
        )
        contract_register(
            user=broker,
            inquiry=inquiry,
            registration_number=f"DEMO-{today.year}-{number:03d}",
            registered_on=registered_on,
        )
        registered += 1
    return registered
