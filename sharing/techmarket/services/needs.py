"""Writes of needs: a firm's drafts, the light review that publishes them, closing."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import RuleBroken, require
from sharing.techmarket import rules, search
from sharing.techmarket.models import TechNeed
from sharing.techmarket.services.common import audit, enqueue_matching, set_status

NEED_FIELDS = {
    "title",
    "problem",
    "target_specs",
    "keywords",
    "industry_section",
    "industry_division",
    "hightech_field",
    "trl_min",
    "trl_max",
    "cooperation_modes",
    "budget",
    "expires_on",
}


def _save_need(need: TechNeed) -> TechNeed:
    need.keywords = [k.strip() for k in need.keywords if k and k.strip()]
    need.full_clean()
    need.save()
    search.need_refresh_search(need)
    return need


@transaction.atomic
def need_create(*, user: User, data: dict) -> TechNeed:
    require(rules.may_create_need(user=user))
    require(rules.organisation_required(user=user))
    values = {k: v for k, v in data.items() if k in NEED_FIELDS}
    need = TechNeed(
        organisation_id=user.organisation_id,
        region_id=user.organisation.region_id,
        created_by=user,
        **values,
    )
    if need.expires_on and need.expires_on < timezone.localdate():
        raise RuleBroken(_("截止日期不能早于今天。"), rule="expires_on")
    _save_need(need)
    audit(actor=user, action="tech.need.create", target=need)
    return need


@transaction.atomic
def need_update(*, user: User, need: TechNeed, data: dict) -> TechNeed:
    need = TechNeed.objects.select_for_update().get(pk=need.pk)
    require(rules.may_edit_need(user=user, need=need))
    for key, value in data.items():
        if key in NEED_FIELDS:
            setattr(need, key, value)
    _save_need(need)
    audit(actor=user, action="tech.need.update", target=need)
    return need


@transaction.atomic
def need_submit(*, user: User, need: TechNeed) -> TechNeed:
    need = TechNeed.objects.select_for_update().get(pk=need.pk)
    require(rules.may_submit_need(user=user, need=need))
    if need.expires_on < timezone.localdate():
        raise RuleBroken(_("需求已过截止日期；请把截止日期改为今天或以后再提交。"), rule="expired")
    set_status(need, TechNeed.Status.SUBMITTED, actor=user, action="tech.need.submit")
    return need


@transaction.atomic
def need_decide(*, user: User, need: TechNeed, approve: bool, note: str = "") -> TechNeed:
    """The light review: a reviewer publishes a need or returns it with a note."""
    need = TechNeed.objects.select_for_update().get(pk=need.pk)
    require(rules.may_decide_need(user=user, need=need))
    if not approve and not note.strip():
        raise RuleBroken(_("退回时请写明原因。"), rule="reason_required")
    need.review_note = note.strip()
    if approve:
        need.status = TechNeed.Status.PUBLISHED
        need.published_at = timezone.now()
    else:
        need.status = TechNeed.Status.DRAFT
    need.save(update_fields=["status", "published_at", "review_note", "updated_at"])
    audit(
        actor=user,
        action=f"tech.need.{'publish' if approve else 'return'}",
        target=need,
        changes={"note": need.review_note},
    )
    if approve:
        enqueue_matching(need_id=need.pk)
    return need


@transaction.atomic
def need_close(*, user: User, need: TechNeed) -> TechNeed:
    need = TechNeed.objects.select_for_update().get(pk=need.pk)
    require(rules.may_close_need(user=user, need=need))
    set_status(need, TechNeed.Status.CLOSED, actor=user, action="tech.need.close")
    return need
