"""Writes of the centre's services: a request, and its way to completion or cancellation."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import RuleBroken, require
from sharing.techmarket import rules
from sharing.techmarket.models import ServiceRequest, TechListing, TechNeed
from sharing.techmarket.services.common import audit


@transaction.atomic
def service_request_create(
    *,
    user: User,
    kind: str,
    description: str,
    listing: TechListing | None = None,
    need: TechNeed | None = None,
) -> ServiceRequest:
    require(rules.may_request_service(user=user, listing=listing, need=need))
    request = ServiceRequest(
        kind=kind,
        requester=user,
        organisation_id=user.organisation_id,
        listing=listing,
        need=need,
        description=description,
    )
    request.full_clean()
    request.save()
    audit(actor=user, action="tech.service.create", target=request)
    return request


@transaction.atomic
def service_request_advance(
    *, user: User, request: ServiceRequest, to: str, result: str = ""
) -> ServiceRequest:
    """Brokers (the centre's staff) accept, work and complete; the requester may cancel."""
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    require(rules.may_advance_service_request(user=user, request=request, to=to))
    if to != ServiceRequest.Status.CANCELLED:
        if to == ServiceRequest.Status.COMPLETED:
            if not result.strip():
                raise RuleBroken(_("完成时请填写办理结果。"), rule="result_required")
            request.result = result.strip()
            request.completed_at = timezone.now()
        request.handler = request.handler or user
    previous = request.status
    request.status = to
    request.save()
    audit(actor=user, action=f"tech.service.{to}", target=request, changes={"from": previous})
    return request
