"""Writes of listings: drafts and their files, submission, the secrecy and export review that
publishes them, closing. Who may do which, from which state, is rules.py; a wrong state is a
Conflict (409, rule "wrong_state") and a wrong person Forbidden (403), so a client can tell which.
"""

import os

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.errors import RuleBroken, require
from portal.notifications.services import notify
from portal.uploads import check_upload, safe_upload_name
from sharing.techmarket import rules, search
from sharing.techmarket.models import ListingFile, ListingReview, Patent, TechListing
from sharing.techmarket.services.common import audit, enqueue_matching, set_status

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
    require(rules.may_create_listing(user=user))
    require(rules.organisation_required(user=user))
    values = {k: v for k, v in data.items() if k in LISTING_FIELDS}
    listing = TechListing(
        organisation_id=user.organisation_id,
        region_id=user.organisation.region_id,
        created_by=user,
        status=TechListing.Status.DRAFT,
        **values,
    )
    _save_listing(listing, patents)
    audit(actor=user, action="tech.listing.create", target=listing)
    return listing


@transaction.atomic
def listing_update(
    *, user: User, listing: TechListing, data: dict, patents: list[dict] | None = None
) -> TechListing:
    listing = TechListing.objects.select_for_update().get(pk=listing.pk)
    require(rules.may_edit_listing(user=user, listing=listing))
    changed = {}
    for key, value in data.items():
        if key in LISTING_FIELDS and getattr(listing, key) != value:
            changed[key] = True
            setattr(listing, key, value)
    _save_listing(listing, patents)
    audit(actor=user, action="tech.listing.update", target=listing, changes=changed)
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
    require(rules.may_submit_listing(user=user, listing=listing))
    if missing := _completeness(listing):
        raise RuleBroken(
            _("成果信息不完整：请补全标出的各项后再提交。"), rule="incomplete", fields=missing
        )
    listing.status = TechListing.Status.SUBMITTED
    listing.submitted_at = timezone.now()
    listing.save(update_fields=["status", "submitted_at", "updated_at"])
    audit(actor=user, action="tech.listing.submit", target=listing)
    return listing


@transaction.atomic
def listing_withdraw(*, user: User, listing: TechListing) -> TechListing:
    """An owner takes a submitted listing back to draft before review starts."""
    listing = TechListing.objects.select_for_update().get(pk=listing.pk)
    require(rules.may_withdraw_listing(user=user, listing=listing))
    set_status(listing, TechListing.Status.DRAFT, actor=user, action="tech.listing.withdraw")
    return listing


@transaction.atomic
def listing_review_start(*, user: User, listing: TechListing) -> TechListing:
    listing = TechListing.objects.select_for_update().get(pk=listing.pk)
    require(rules.may_start_review(user=user, listing=listing))
    set_status(listing, TechListing.Status.REVIEW, actor=user, action="tech.listing.review_start")
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
    require(rules.may_decide_listing(user=user, listing=listing))
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
        listing.status = TechListing.Status.PUBLISHED
        listing.published_at = timezone.now()
    else:
        listing.status = TechListing.Status.DRAFT
    listing.save(update_fields=["status", "published_at", "confidentiality", "updated_at"])
    audit(
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
        about=("tech_listing", listing.pk),
        extra=f"l{listing.pk}:{listing.reviews.count()}",
    )
    if approve:
        enqueue_matching(listing_id=listing.pk)
    return listing


@transaction.atomic
def listing_close(*, user: User, listing: TechListing, transferred: bool = False) -> TechListing:
    listing = TechListing.objects.select_for_update().get(pk=listing.pk)
    require(rules.may_close_listing(user=user, listing=listing))
    status = TechListing.Status.TRANSFERRED if transferred else TechListing.Status.CLOSED
    set_status(listing, status, actor=user, action=f"tech.listing.{status}")
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
    require(rules.may_add_file(user=user, listing=listing))
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
    audit(actor=user, action="tech.listing.file_add", target=listing, changes={"file": original})
    return item
