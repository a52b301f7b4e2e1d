"""The top-level classification (设备分类编码, first two digits) as reference data."""

CLASSES = [
    ("01", "分析仪器", "Analytical instruments"),
    ("02", "物理性能测试仪器", "Physical-property testing instruments"),
    ("03", "计量仪器", "Metrology instruments"),
    ("04", "电子测量仪器", "Electronic measurement instruments"),
    ("05", "海洋仪器", "Marine instruments"),
    ("06", "地球探测仪器", "Geophysical exploration instruments"),
    ("07", "大气探测仪器", "Atmospheric instruments"),
    ("08", "天文仪器", "Astronomical instruments"),
    ("09", "医学诊断仪器", "Medical diagnostic instruments"),
    ("10", "核仪器", "Nuclear instruments"),
    ("11", "特种检测仪器", "Special inspection / non-destructive testing instruments"),
    ("12", "工艺试验仪器", "Process-test equipment"),
    ("13", "计算机及其配套设备", "Computers and peripherals"),
    ("14", "激光器", "Lasers"),
    ("99", "其他仪器", "Other instruments"),
]


def ensure_instrument_classes(sender=None, **kwargs) -> None:
    """Loaded after every migrate (and after a test flush, which also sends post_migrate), so the
    table the import validates against is never empty."""
    from sharing.catalogue.models import InstrumentClass

    for code, name, name_en in CLASSES:
        InstrumentClass.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en}
        )
