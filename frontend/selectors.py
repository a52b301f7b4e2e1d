from django.db.models import Count, Q

from portal.accounts.models import Region
from sharing.catalogue.models import Platform


def region_summaries():
    return Region.objects.annotate(
        organisation_count=Count("organisations", distinct=True),
        platform_count=Count("platforms", distinct=True),
    ).order_by("adcode")


def platforms():
    return (
        Platform.objects.select_related("region", "host")
        .annotate(has_location=Count("pk", filter=Q(location__isnull=False)))
        .order_by("region__adcode", "kind", "name")
    )
