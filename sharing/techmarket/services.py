"""Writes of the technology exchange: listings through secrecy review, needs, inquiries carried
by brokers, contracts and their registration, the centre's services.

Each state change names who may make it and from which state; a wrong state is a Conflict
(409, rule "wrong_state") and a wrong person Forbidden (403), so a client can tell which.
"""

import datetime
import os
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Role, User
from portal.enqueue import enqueue_on_commit
from portal.errors import Conflict, Forbidden, RuleBroken
from portal.uploads import check_upload, safe_upload_name
from sharing.bookings.notifications import notify
from sharing.techmarket import search
from sharing.techmarket.models import (
    BrokerProfile,
    Inquiry,
    InquiryTransition,
    ListingFile,
    ListingReview,
    Patent,
    ServiceRequest,
    TechContract,
    TechListing,
    TechNeed,
)

L = TechListing.Status
N = TechNeed.Status
St = Inquiry.Stage

LISTING_FIELDS = {
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
    "price",
    "price_negotiable",
    "pricing_route",
    "contact_name",
    "contact_phone",
    "contact_email",
    "confidentiality",
    "export_controlled",
    "declassified",
    "declassification_authority",
    "declassification_ref",
    "declassified_on",
}
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


def _is_admin(user: User) -> bool:
    return user.is_superuser or user.has_role(Role.ADMINISTRATOR)


def _wrong_state(message: str) -> Conflict:
    return Conflict(message, rule="wrong_state")


def _audit(*, actor, action: str, target, changes: dict | None = None) -> None:
    from portal.audit.services import audit_record

    audit_record(actor=actor, action=action, target=target, changes=changes)


# --- Listings ----------------------------------------------------------------------------------


def listing_is_owner(*, user: User, listing: TechListing) -> bool:
    if not user.is_authenticated:
        return False
    if listing.created_by_id == user.pk:
        return True
    return bool(
        user.organisation_id == listing.organisation_id and user.has_role(Role.TECHNOLOGY_OWNER)
    )


def _save_listing(listing: TechListing, patents: list[dict] | None) -> TechListing:
    listing.keywords = [k.strip() for k in listing.keywords if k and k.strip()]
    listing.key_points = [k.strip() for k in listing.key_points if k and k.strip()]
    if len(listing.key_points) > 3:
        raise RuleBroken(
            _("技术要点最多三条。"), rule="key_points", fields={"key_points": [_("最多三条。")]}
        )
    listing.full_clean()
    listing.save()
    if patents is not None:
        listing.patents.all().delete()
        for patent in patents:
            row = Patent(listing=listing, **patent)
            row.full_clean(exclude=["listing"])
            row.save()
    search.listing_refresh_search(listing)
    return listing


@transaction.atomic
def listing_create(*, user: User, data: dict, patents: list[dict] | None = None) -> TechListing:
    """A draft, owned by the person's organisation and region."""
    if not (user.has_role(Role.TECHNOLOGY_OWNER) or _is_admin(user)):
        raise Forbidden(_("只有成果持有方可以填报成果。"))
    if not user.organisation_id:
        raise RuleBroken(_("请先关联所属机构。"), rule="organisation_required")
    values = {k: v for k, v in data.items() if k in LISTING_FIELDS}
    listing = TechListing(
        organisation_id=user.organisation_id,
        region_id=user.organisation.region_id,
        created_by=user,
        status=L.DRAFT,
        **values,
    )
    _save_listing(listing, patents)
    _audit(actor=user, action="tech.listing.create", target=listing)
    return listing


@transaction.atomic
def listing_update(
    *, user: User, listing: TechListing, data: dict, patents: list[dict] | None = None
) -> TechListing:
    listing = TechListing.objects.select_for_update().get(pk=listing.pk)
    if not (listing_is_owner(user=user, listing=listing) or _is_admin(user)):
        raise Forbidden(_("只有成果持有方可以修改。"))
    if listing.status != L.DRAFT:
        raise _wrong_state(_("只有草稿可以修改；请先撤回或等待退回。"))
    changed = {}
    for key, value in data.items():
        if key in LISTING_FIELDS and getattr(listing, key) != value:
            changed[key] = True
            setattr(listing, key, value)
    _save_listing(listing, patents)
    _audit(actor=user, action="tech.listing.update", target=listing, changes=changed)
    return listing


def _completeness(listing: TechListing) -> dict:
    missing = {}
    if not listing.transfer_modes:
        missing["transfer_modes"] = [_("至少选择一种转化方式。")]
    if listing.price is None and not listing.price_negotiable:
        missing["price"] = [_("请填写参考价格或选择面议。")]
    if listing.price is not None and not listing.pricing_route:
        missing["pricing_route"] = [_("有标价的成果须选择定价方式。")]
    if not listing.trl_evidence:
        missing["trl_evidence"] = [_("请说明成熟度的依据。")]
    if not (listing.hightech_field or listing.industry_section):
        missing["hightech_field"] = [_("请选择所属领域。")]
    if not (listing.contact_name and (listing.contact_phone or listing.contact_email)):
        missing["contact_name"] = [_("请填写联系人及电话或邮箱。")]
    return missing


@transaction.atomic
def listing_submit(*, user: User, listing: TechListing) -> TechListing:
    listing = TechListing.objects.select_for_update().get(pk=listing.pk)
    if not listing_is_owner(user=user, listing=listing):
        raise Forbidden(_("只有成果持有方可以提交审查。"))
    if listing.status != L.DRAFT:
        raise _wrong_state(
            _("只有草稿可以提交审查；该成果当前为“%(status)s”，无需再次提交。")
            % {"status": listing.get_status_display()}
        )
    if missing := _completeness(listing):
        raise RuleBroken(
            _("成果信息不完整：请补全标出的各项后再提交。"), rule="incomplete", fields=missing
        )
    listing.status = L.SUBMITTED
    listing.submitted_at = timezone.now()
    listing.save(update_fields=["status", "submitted_at", "updated_at"])
    _audit(actor=user, action="tech.listing.submit", target=listing)
    return listing


@transaction.atomic
def listing_withdraw(*, user: User, listing: TechListing) -> TechListing:
    """An owner takes a submitted listing back to draft before review starts."""
    listing = TechListing.objects.select_for_update().get(pk=listing.pk)
    if not listing_is_owner(user=user, listing=listing):
        raise Forbidden(_("只有成果持有方可以撤回。"))
    if listing.status != L.SUBMITTED:
        raise _wrong_state(
            _("只有已提交、尚未开始审查的成果可以撤回；该成果当前为“%(status)s”。")
            % {"status": listing.get_status_display()}
        )
    listing.status = L.DRAFT
    listing.save(update_fields=["status", "updated_at"])
    _audit(actor=user, action="tech.listing.withdraw", target=listing)
    return listing


def _require_reviewer(user: User, listing: TechListing) -> None:
    if not user.has_role(Role.REVIEWER):
        raise Forbidden(_("只有审核员可以审查成果。"))
    if listing.created_by_id == user.pk or (
        user.organisation_id and user.organisation_id == listing.organisation_id
    ):
        raise Forbidden(_("审核员不能审查本单位的成果（回避）。"), rule="conflict_of_interest")


@transaction.atomic
def listing_review_start(*, user: User, listing: TechListing) -> TechListing:
    listing = TechListing.objects.select_for_update().get(pk=listing.pk)
    _require_reviewer(user, listing)
    if listing.status != L.SUBMITTED:
        raise _wrong_state(
            _("只有已提交的成果可以开始审查；该成果当前为“%(status)s”。")
            % {"status": listing.get_status_display()}
        )
    listing.status = L.REVIEW
    listing.save(update_fields=["status", "updated_at"])
    _audit(actor=user, action="tech.listing.review_start", target=listing)
    return listing


@transaction.atomic
def listing_decide(
    *,
    user: User,
    listing: TechListing,
    decision: str,
    reason: str,
    secrecy_checked: bool,
    export_control_checked: bool,
    confidentiality: str | None = None,
) -> TechListing:
    """Publish or return a listing under review; the reason is kept for every decision.

    Export-controlled technology is published to signed-in members only (the database refuses
    it public); a reviewer may narrow the audience, never widen it.
    """
    listing = TechListing.objects.select_for_update().get(pk=listing.pk)
    _require_reviewer(user, listing)
    if listing.status != L.REVIEW:
        raise _wrong_state(
            _("请先开始审查再作出结论；该成果当前为“%(status)s”。")
            % {"status": listing.get_status_display()}
        )
    if not reason or not reason.strip():
        raise RuleBroken(_("请写明审查理由。"), rule="reason_required", fields={"reason": [""]})
    approve = decision == ListingReview.Decision.APPROVE
    if approve and not (secrecy_checked and export_control_checked):
        raise RuleBroken(_("发布前须完成保密审查和出口管制审查。"), rule="checks_required")
    if confidentiality == TechListing.Confidentiality.INTERNAL:
        listing.confidentiality = confidentiality
    if approve and listing.export_controlled and listing.confidentiality == "public":
        raise RuleBroken(
            _("出口管制物项不能公开发布，请设为仅会员可见。"), rule="export_controlled_public"
        )
    ListingReview.objects.create(
        listing=listing,
        reviewer=user,
        decision=decision,
        secrecy_checked=secrecy_checked,
        export_control_checked=export_control_checked,
        reason=reason.strip(),
    )
    if approve:
        listing.status = L.PUBLISHED
        listing.published_at = timezone.now()
    else:
        listing.status = L.DRAFT
    listing.save(update_fields=["status", "published_at", "confidentiality", "updated_at"])
    _audit(
        actor=user,
        action=f"tech.listing.{'publish' if approve else 'return'}",
        target=listing,
        changes={"reason": reason.strip()},
    )
    notify(
        kind="tech_review",
        user=listing.created_by,
        subject=_("成果审查结论：%(title)s") % {"title": listing.title},
        body=(_("已通过并发布。") if approve else _("已退回修改。")) + "\n" + reason.strip(),
        extra=f"l{listing.pk}:{listing.reviews.count()}",
    )
    if approve:
        _enqueue_matching(listing_id=listing.pk)
    return listing


@transaction.atomic
def listing_close(*, user: User, listing: TechListing, transferred: bool = False) -> TechListing:
    listing = TechListing.objects.select_for_update().get(pk=listing.pk)
    if not (listing_is_owner(user=user, listing=listing) or _is_admin(user)):
        raise Forbidden(_("只有成果持有方可以关闭成果。"))
    if listing.status != L.PUBLISHED:
        raise _wrong_state(
            _("只有已发布的成果可以关闭；该成果当前为“%(status)s”。")
            % {"status": listing.get_status_display()}
        )
    listing.status = L.TRANSFERRED if transferred else L.CLOSED
    listing.save(update_fields=["status", "updated_at"])
    _audit(actor=user, action=f"tech.listing.{listing.status}", target=listing)
    return listing


FILE_KINDS = {
    "image": ({"png", "jpeg"}, 5 * 1024 * 1024),
    "document": ({"pdf", "docx"}, 20 * 1024 * 1024),
}
CONTENT_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
MAX_FILES_PER_LISTING = 20


@transaction.atomic
def listing_file_add(*, user: User, listing: TechListing, upload, kind: str) -> ListingFile:
    """Store an image or document of a draft listing, after checking its bytes and size."""
    listing = TechListing.objects.select_for_update().get(pk=listing.pk)
    if not listing_is_owner(user=user, listing=listing):
        raise Forbidden(_("只有成果持有方可以上传附件。"))
    if listing.status != L.DRAFT:
        raise _wrong_state(_("只有草稿可以上传附件；请先撤回或等待退回。"))
    if listing.files.count() >= MAX_FILES_PER_LISTING:
        raise RuleBroken(_("附件最多 20 个。"), rule="too_many_files")
    kinds, max_bytes = FILE_KINDS[kind]
    detected = check_upload(upload, kinds=kinds, max_bytes=max_bytes)
    original = os.path.basename(str(upload.name).replace("\\", "/"))[:200] or "file"
    item = ListingFile(
        listing=listing,
        kind=kind,
        original_name=original,
        content_type=CONTENT_TYPES[detected],
        size=upload.size,
        uploaded_by=user,
    )
    item.file.save(safe_upload_name(original), upload, save=False)
    item.save()
    _audit(actor=user, action="tech.listing.file_add", target=listing, changes={"file": original})
    return item


# --- Needs -------------------------------------------------------------------------------------


def need_is_owner(*, user: User, need: TechNeed) -> bool:
    if not user.is_authenticated:
        return False
    return need.created_by_id == user.pk or bool(
        user.organisation_id == need.organisation_id and user.has_role(Role.FIRM)
    )


def _save_need(need: TechNeed) -> TechNeed:
    need.keywords = [k.strip() for k in need.keywords if k and k.strip()]
    need.full_clean()
    need.save()
    search.need_refresh_search(need)
    return need


@transaction.atomic
def need_create(*, user: User, data: dict) -> TechNeed:
    if not (user.has_role(Role.FIRM) or _is_admin(user)):
        raise Forbidden(_("只有企业用户可以发布需求。"))
    if not user.organisation_id:
        raise RuleBroken(_("请先关联所属机构。"), rule="organisation_required")
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
    _audit(actor=user, action="tech.need.create", target=need)
    return need


@transaction.atomic
def need_update(*, user: User, need: TechNeed, data: dict) -> TechNeed:
    need = TechNeed.objects.select_for_update().get(pk=need.pk)
    if not (need_is_owner(user=user, need=need) or _is_admin(user)):
        raise Forbidden(_("只有需求方可以修改。"))
    if need.status != N.DRAFT:
        raise _wrong_state(_("只有草稿可以修改；请先等待审核，退回后即可修改。"))
    for key, value in data.items():
        if key in NEED_FIELDS:
            setattr(need, key, value)
    _save_need(need)
    _audit(actor=user, action="tech.need.update", target=need)
    return need


@transaction.atomic
def need_submit(*, user: User, need: TechNeed) -> TechNeed:
    need = TechNeed.objects.select_for_update().get(pk=need.pk)
    if not need_is_owner(user=user, need=need):
        raise Forbidden(_("只有需求方可以提交。"))
    if need.status != N.DRAFT:
        raise _wrong_state(
            _("只有草稿可以提交；该需求当前为“%(status)s”，无需再次提交。")
            % {"status": need.get_status_display()}
        )
    if need.expires_on < timezone.localdate():
        raise RuleBroken(_("需求已过截止日期；请把截止日期改为今天或以后再提交。"), rule="expired")
    need.status = N.SUBMITTED
    need.save(update_fields=["status", "updated_at"])
    _audit(actor=user, action="tech.need.submit", target=need)
    return need


@transaction.atomic
def need_decide(*, user: User, need: TechNeed, approve: bool, note: str = "") -> TechNeed:
    """The light review: a reviewer publishes a need or returns it with a note."""
    need = TechNeed.objects.select_for_update().get(pk=need.pk)
    if not user.has_role(Role.REVIEWER):
        raise Forbidden(_("只有审核员可以审核需求。"))
    if need.created_by_id == user.pk or (
        user.organisation_id and user.organisation_id == need.organisation_id
    ):
        raise Forbidden(_("审核员不能审核本单位的需求（回避）。"), rule="conflict_of_interest")
    if need.status != N.SUBMITTED:
        raise _wrong_state(
            _("只有待审核的需求可以审核；该需求当前为“%(status)s”。")
            % {"status": need.get_status_display()}
        )
    if not approve and not note.strip():
        raise RuleBroken(_("退回时请写明原因。"), rule="reason_required")
    need.review_note = note.strip()
    if approve:
        need.status = N.PUBLISHED
        need.published_at = timezone.now()
    else:
        need.status = N.DRAFT
    need.save(update_fields=["status", "published_at", "review_note", "updated_at"])
    _audit(
        actor=user,
        action=f"tech.need.{'publish' if approve else 'return'}",
        target=need,
        changes={"note": need.review_note},
    )
    if approve:
        _enqueue_matching(need_id=need.pk)
    return need


@transaction.atomic
def need_close(*, user: User, need: TechNeed) -> TechNeed:
    need = TechNeed.objects.select_for_update().get(pk=need.pk)
    if not (need_is_owner(user=user, need=need) or _is_admin(user)):
        raise Forbidden(_("只有需求方可以关闭需求。"))
    if need.status == N.CLOSED:
        raise _wrong_state(_("需求已关闭，无需再次关闭。"))
    need.status = N.CLOSED
    need.save(update_fields=["status", "updated_at"])
    _audit(actor=user, action="tech.need.close", target=need)
    return need


def _enqueue_matching(*, listing_id: int | None = None, need_id: int | None = None) -> None:
    from sharing.techmarket import tasks

    if listing_id is not None:
        enqueue_on_commit(tasks.match_listing, listing_id)
    if need_id is not None:
        enqueue_on_commit(tasks.match_need, need_id)


# --- Inquiries ---------------------------------------------------------------------------------

OPEN_STAGES = [s for s in St.values if s not in (St.CLOSED, St.CONTRACT_REGISTERED)]
# The stages a broker moves by hand; contract stages go through contract_record/register.
NEXT_STAGE = {St.NEW: St.CONTACTED, St.CONTACTED: St.NDA_SIGNED, St.NDA_SIGNED: St.NEGOTIATING}


def _transition(inquiry: Inquiry, to: str, by: User | None, note: str = "") -> None:
    InquiryTransition.objects.create(
        inquiry=inquiry, from_stage=inquiry.stage, to_stage=to, by=by, note=note
    )
    _audit(
        actor=by,
        action=f"tech.inquiry.{to}",
        target=inquiry,
        changes={"from": inquiry.stage, "to": to},
    )
    inquiry.stage = to


def broker_pick(*, listing: TechListing) -> User | None:
    """The active broker covering the listing's field with the fewest open inquiries; any
    active broker when nobody covers the field. Ties go to the longest-registered broker."""
    brokers = User.objects.filter(
        roles__contains=[Role.BROKER], is_active=True, broker_profile__active=True
    )
    by_field = brokers.filter(broker_profile__fields__contains=[listing.hightech_field])
    pool = by_field if listing.hightech_field and by_field.exists() else brokers
    return (
        pool.annotate(
            load=Count("brokered_inquiries", filter=Q(brokered_inquiries__stage__in=OPEN_STAGES))
        )
        .order_by("load", "pk")
        .first()
    )


def _assign_broker(inquiry: Inquiry) -> None:
    # Serialise assignment, so two inquiries at once do not both land on the least-loaded one.
    list(BrokerProfile.objects.select_for_update().filter(active=True).order_by("pk"))
    inquiry.broker = broker_pick(listing=inquiry.listing)


def _notify_inquiry(inquiry: Inquiry, event: str) -> None:
    subject = _("交易意向：%(title)s") % {"title": inquiry.listing.title}
    body = _("%(firm)s 对成果“%(title)s”有意向，当前阶段：%(stage)s。") % {
        "firm": inquiry.firm.name,
        "title": inquiry.listing.title,
        "stage": inquiry.get_stage_display(),
    }
    people = {inquiry.listing.created_by, inquiry.created_by}
    if inquiry.broker:
        people.add(inquiry.broker)
    for person in people:
        notify(
            kind="tech_inquiry",
            user=person,
            subject=subject,
            body=body,
            extra=f"i{inquiry.pk}:{event}",
        )


@transaction.atomic
def inquiry_create(
    *, user: User, listing: TechListing, message: str = "", nda_accepted: bool = False
) -> Inquiry:
    """A firm's interest in a published listing; a broker is assigned at once."""
    if not user.has_role(Role.FIRM) or not user.organisation_id:
        raise Forbidden(_("只有企业用户可以提出意向。"))
    listing = TechListing.objects.for_user(user).filter(pk=listing.pk, status=L.PUBLISHED).first()
    if listing is None:
        raise Conflict(_("该成果未发布，不能提出意向。"), rule="wrong_state")
    if listing.organisation_id == user.organisation_id:
        raise RuleBroken(_("不能对本单位的成果提出意向。"), rule="own_listing")
    existing = (
        Inquiry.objects.select_for_update()
        .filter(listing=listing, firm_id=user.organisation_id)
        .exclude(stage=St.CLOSED)
        .first()
    )
    if existing:
        if nda_accepted and existing.nda_accepted_at is None:
            existing.nda_accepted_at = timezone.now()
            existing.save(update_fields=["nda_accepted_at", "updated_at"])
        return existing
    inquiry = Inquiry(
        listing=listing,
        firm_id=user.organisation_id,
        created_by=user,
        message=message,
        nda_accepted_at=timezone.now() if nda_accepted else None,
    )
    _assign_broker(inquiry)
    inquiry.full_clean()
    inquiry.save()
    InquiryTransition.objects.create(inquiry=inquiry, to_stage=St.NEW, by=user)
    _audit(actor=user, action="tech.inquiry.create", target=inquiry)
    _notify_inquiry(inquiry, "new")
    return inquiry


@transaction.atomic
def inquiry_link(*, user: User, listing: TechListing, need: TechNeed, note: str = "") -> Inquiry:
    """A broker links a firm's published need to a published listing, and carries it."""
    if not (user.has_role(Role.BROKER) or _is_admin(user)):
        raise Forbidden(_("只有技术经纪人可以撮合需求与成果。"))
    if listing.status != L.PUBLISHED or need.status != N.PUBLISHED:
        raise Conflict(_("只有已发布的成果和需求可以撮合。"), rule="wrong_state")
    if listing.organisation_id == need.organisation_id:
        raise RuleBroken(
            _("成果与需求属于同一单位，不能撮合；请选择其他单位的需求。"), rule="own_listing"
        )
    existing = (
        Inquiry.objects.select_for_update()
        .filter(listing=listing, firm_id=need.organisation_id)
        .exclude(stage=St.CLOSED)
        .first()
    )
    if existing:
        raise Conflict(
            _("该企业对此成果已有进行中的意向；请在原意向中继续推进。"), rule="duplicate_inquiry"
        )
    inquiry = Inquiry(
        listing=listing,
        need=need,
        firm_id=need.organisation_id,
        created_by=user,
        broker=user if user.has_role(Role.BROKER) else None,
        message=note,
    )
    if inquiry.broker is None:
        _assign_broker(inquiry)
    inquiry.full_clean()
    inquiry.save()
    InquiryTransition.objects.create(inquiry=inquiry, to_stage=St.NEW, by=user, note=note)
    _audit(actor=user, action="tech.inquiry.link", target=inquiry)
    _notify_inquiry(inquiry, "new")
    return inquiry


def _require_carrier(user: User, inquiry: Inquiry) -> None:
    if not (inquiry.broker_id == user.pk or _is_admin(user)):
        raise Forbidden(_("只有分派的技术经纪人可以推进该意向。"))


def _locked(inquiry: Inquiry) -> Inquiry:
    return Inquiry.objects.select_for_update().select_related("listing").get(pk=inquiry.pk)


@transaction.atomic
def inquiry_advance(*, user: User, inquiry: Inquiry, to: str, note: str = "") -> Inquiry:
    inquiry = _locked(inquiry)
    _require_carrier(user, inquiry)
    if NEXT_STAGE.get(inquiry.stage) != to:
        raise _wrong_state(
            _("不能从“%(from)s”推进到“%(to)s”；下一步只能是“%(next)s”。")
            % {
                "from": inquiry.get_stage_display(),
                "to": St(to).label if to in St.values else to,
                "next": St(NEXT_STAGE[inquiry.stage]).label,
            }
            if inquiry.stage in NEXT_STAGE
            else _("意向当前为“%(from)s”，不能再推进；洽谈中请登记合同签订，已签合同请认定登记。")
            % {"from": inquiry.get_stage_display()}
        )
    _transition(inquiry, to, user, note)
    inquiry.save(update_fields=["stage", "updated_at"])
    _notify_inquiry(inquiry, to)
    return inquiry


@transaction.atomic
def inquiry_close(*, user: User, inquiry: Inquiry, reason: str, note: str = "") -> Inquiry:
    """Close with a structured reason: the broker or the firm that asked may."""
    inquiry = _locked(inquiry)
    is_firm = inquiry.created_by_id == user.pk or (
        user.organisation_id == inquiry.firm_id and user.has_role(Role.FIRM)
    )
    if not (is_firm or inquiry.broker_id == user.pk or _is_admin(user)):
        raise Forbidden(_("只有经纪人或意向企业可以关闭意向。"))
    if inquiry.stage in (St.CLOSED, St.CONTRACT_REGISTERED, St.CONTRACT_SIGNED):
        raise _wrong_state(_("该意向已结束或已签合同，不能关闭。"))
    if reason not in Inquiry.CloseReason.values:
        raise RuleBroken(_("请选择关闭原因。"), rule="close_reason", fields={"reason": [reason]})
    if reason == Inquiry.CloseReason.OTHER and not note.strip():
        raise RuleBroken(_("选择“其他”时请说明原因。"), rule="close_reason")
    _transition(inquiry, St.CLOSED, user, note)
    inquiry.close_reason = reason
    inquiry.close_note = note.strip()
    inquiry.save(update_fields=["stage", "close_reason", "close_note", "updated_at"])
    return inquiry


@transaction.atomic
def contract_record(
    *,
    user: User,
    inquiry: Inquiry,
    contract_type: str,
    amount: Decimal,
    signed_on: datetime.date,
) -> TechContract:
    """The parties signed: record the contract (民法典 第八百四十三条 type) on the inquiry."""
    inquiry = _locked(inquiry)
    _require_carrier(user, inquiry)
    if inquiry.stage != St.NEGOTIATING:
        raise _wrong_state(
            _("只有洽谈中的意向可以登记合同签订；该意向当前为“%(stage)s”。")
            % {"stage": inquiry.get_stage_display()}
        )
    if signed_on > timezone.localdate():
        raise RuleBroken(_("签订日期不能晚于今天。"), rule="signed_on")
    contract = TechContract(
        inquiry=inquiry,
        contract_type=contract_type,
        amount=amount,
        seller_id=inquiry.listing.organisation_id,
        buyer_id=inquiry.firm_id,
        signed_on=signed_on,
        recorded_by=user,
    )
    contract.full_clean()
    contract.save()
    _transition(inquiry, St.CONTRACT_SIGNED, user)
    inquiry.save(update_fields=["stage", "updated_at"])
    _notify_inquiry(inquiry, St.CONTRACT_SIGNED)
    return contract


@transaction.atomic
def contract_register(
    *, user: User, inquiry: Inquiry, registration_number: str, registered_on: datetime.date
) -> TechContract:
    """技术合同认定登记: the contract counts in 技术合同成交额 from here on. A registered
    transfer (技术转让) marks the listing transferred."""
    inquiry = _locked(inquiry)
    _require_carrier(user, inquiry)
    if inquiry.stage != St.CONTRACT_SIGNED:
        raise _wrong_state(
            _("请先登记合同签订，再认定登记；该意向当前为“%(stage)s”。")
            % {"stage": inquiry.get_stage_display()}
        )
    contract = TechContract.objects.select_for_update().get(inquiry=inquiry)
    contract.registration_number = registration_number.strip()
    contract.registered_on = registered_on
    if registered_on > timezone.localdate():
        raise RuleBroken(_("登记日期不能晚于今天。"), rule="registered_on")
    contract.full_clean()
    contract.save(update_fields=["registration_number", "registered_on"])
    _transition(inquiry, St.CONTRACT_REGISTERED, user)
    inquiry.save(update_fields=["stage", "updated_at"])
    listing = TechListing.objects.select_for_update().get(pk=inquiry.listing_id)
    if contract.contract_type == TechContract.Type.TRANSFER and listing.status == L.PUBLISHED:
        listing.status = L.TRANSFERRED
        listing.save(update_fields=["status", "updated_at"])
    _notify_inquiry(inquiry, St.CONTRACT_REGISTERED)
    return contract


# --- The centre's services ---------------------------------------------------------------------

SERVICE_NEXT = {
    ServiceRequest.Status.REQUESTED: ServiceRequest.Status.ACCEPTED,
    ServiceRequest.Status.ACCEPTED: ServiceRequest.Status.IN_PROGRESS,
    ServiceRequest.Status.IN_PROGRESS: ServiceRequest.Status.COMPLETED,
}


@transaction.atomic
def service_request_create(
    *,
    user: User,
    kind: str,
    description: str,
    listing: TechListing | None = None,
    need: TechNeed | None = None,
) -> ServiceRequest:
    if not user.organisation_id:
        raise RuleBroken(_("请先关联所属机构。"), rule="organisation_required")
    if listing is not None and not listing_is_owner(user=user, listing=listing):
        raise Forbidden(_("只能为本单位的成果申请服务。"))
    if need is not None and not need_is_owner(user=user, need=need):
        raise Forbidden(_("只能为本单位的需求申请服务。"))
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
    _audit(actor=user, action="tech.service.create", target=request)
    return request


@transaction.atomic
def service_request_advance(
    *, user: User, request: ServiceRequest, to: str, result: str = ""
) -> ServiceRequest:
    """Brokers (the centre's staff) accept, work and complete; the requester may cancel."""
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    S = ServiceRequest.Status
    if to == S.CANCELLED:
        if request.requester_id != user.pk and not _is_admin(user):
            raise Forbidden(_("只有申请人可以取消。"))
        if request.status in (S.COMPLETED, S.CANCELLED):
            raise _wrong_state(_("该服务已完成或已取消，不能再取消。"))
    else:
        if not (user.has_role(Role.BROKER) or _is_admin(user)):
            raise Forbidden(_("只有中心工作人员可以办理服务。"))
        if request.handler_id and request.handler_id != user.pk and not _is_admin(user):
            raise Forbidden(_("该服务已由其他人承办。"))
        if (allowed := SERVICE_NEXT.get(request.status)) != to:
            raise _wrong_state(
                _("服务当前为“%(now)s”，下一步只能是“%(next)s”。")
                % {"now": request.get_status_display(), "next": S(allowed).label}
                if allowed
                else _("服务当前为“%(now)s”，已结束，不能再变更。")
                % {"now": request.get_status_display()}
            )
        if to == S.COMPLETED:
            if not result.strip():
                raise RuleBroken(_("完成时请填写办理结果。"), rule="result_required")
            request.result = result.strip()
            request.completed_at = timezone.now()
        request.handler = request.handler or user
    previous = request.status
    request.status = to
    request.save()
    _audit(actor=user, action=f"tech.service.{to}", target=request, changes={"from": previous})
    return request
