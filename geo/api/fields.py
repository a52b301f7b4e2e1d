"""What the spatial API reads from a query string: finite coordinates in range, and lists of
numbers ("lon,lat", "min_lon,min_lat,max_lon,max_lat")."""

import math

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class CoordinateField(serializers.FloatField):
    """A finite longitude or latitude within its range (NaN and infinities are refused)."""

    def __init__(self, *, limit: float, **kwargs):
        super().__init__(min_value=-limit, max_value=limit, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


def lon_field(**kwargs):
    return CoordinateField(limit=180, help_text=_("经度（WGS-84），-180 至 180。"), **kwargs)


def lat_field(**kwargs):
    return CoordinateField(limit=90, help_text=_("纬度（WGS-84），-90 至 90。"), **kwargs)


def parse_numbers(text: str, count: int) -> list[float] | None:
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        return None
    if len(numbers) != count or not all(math.isfinite(n) for n in numbers):
        return None
    return numbers


def in_range(lon: float, lat: float) -> bool:
    return -180 <= lon <= 180 and -90 <= lat <= 90


class LonLatQuerySerializer(serializers.Serializer):
    lon = lon_field()
    lat = lat_field()
