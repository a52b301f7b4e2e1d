"""Writes of deals: a firm's inquiry or a broker's link, the broker assigned to carry it, its
stages, and the contract it ends in with its 技术合同认定登记."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Role, User
from portal.errors import Conflict, RuleBroken, require
from portal.notifications.services import notify
from sharing.techmarket import rules
from sharing.techmarket.models import (
    BrokerProfile,
    Inquiry,
    InquiryTransition,
    TechContract,
    TechListing,
    TechNeed,
)
from sharing.techmarket.services.common import audit


def _transition(inquiry: Inquiry, to: str, by: User | None, note: str = "") -> None:
    InquiryTransition.objects.create(
        inquiry=inquiry, from_stage=inquiry.stage, to_stage=to, by=by, note=note
    )
    audit(
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
            load=Count(
                "brokered_inquiries", filter=Q(brokered_inquiries__stage__in=rules.OPEN_STAGES)
            )
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
            about=("tech_inquiry", inquiry.pk),
            extra=f"i{inquiry.pk}:{event}",
        )


@transaction.atomic
def inquiry_create(
    *, user: User, listing: TechListing, message: str = "", nda_accepted: bool = False
) -> Inquiry:
    """A firm's interest in a published listing; a broker is assigned at once."""
    listing = TechListing.objects.for_user(user).filter(pk=listing.pk).first()
    require(rules.may_inquire(user=user, listing=listing))
    existing = (
        Inquiry.objects.select_for_update()
        .filter(listing=listing, firm_id=user.organisation_id)
        .exclude(stage=Inquiry.Stage.CLOSED)
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
    InquiryTransition.objects.create(inquiry=inquiry, to_stage=Inquiry.Stage.NEW, by=user)
    audit(actor=user, action="tech.inquiry.create", target=inquiry)
    _notify_inquiry(inquiry, "new")
    return inquiry


@transaction.atomic
def inquiry_link(*, user: User, listing: TechListing, need: TechNeed, note: str = "") -> Inquiry:
    """A broker links a firm's published need to a published listing, and carries it."""
    require(rules.may_link(user=user, need=need, listing=listing))
    existing = (
        Inquiry.objects.select_for_update()
        .filter(listing=listing, firm_id=need.organisation_id)
        .exclude(stage=Inquiry.Stage.CLOSED)
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
    InquiryTransition.objects.create(
        inquiry=inquiry, to_stage=Inquiry.Stage.NEW, by=user, note=note
    )
    audit(actor=user, action="tech.inquiry.link", target=inquiry)
    _notify_inquiry(inquiry, "new")
    return inquiry


def _locked(inquiry: Inquiry) -> Inquiry:
    return Inquiry.objects.select_for_update().select_related("listing").get(pk=inquiry.pk)


@transaction.atomic
def inquiry_advance(*, user: User, inquiry: Inquiry, to: str, note: str = "") -> Inquiry:
    inquiry = _locked(inquiry)
    require(rules.may_advance_inquiry(user=user, inquiry=inquiry, to=to))
    _transition(inquiry, to, user, note)
    inquiry.save(update_fields=["stage", "updated_at"])
    _notify_inquiry(inquiry, to)
    return inquiry


@transaction.atomic
def inquiry_close(*, user: User, inquiry: Inquiry, reason: str, note: str = "") -> Inquiry:
    """Close with a structured reason: the broker or the firm that asked may."""
    inquiry = _locked(inquiry)
    require(rules.may_close_inquiry(user=user, inquiry=inquiry))
    if reason not in Inquiry.CloseReason.values:
        raise RuleBroken(_("请选择关闭原因。"), rule="close_reason", fields={"reason": [reason]})
    if reason == Inquiry.CloseReason.OTHER and not note.strip():
        raise RuleBroken(_("选择“其他”时请说明原因。"), rule="close_reason")
    _transition(inquiry, Inquiry.Stage.CLOSED, user, note)
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
    require(rules.may_record_contract(user=user, inquiry=inquiry))
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
    _transition(inquiry, Inquiry.Stage.CONTRACT_SIGNED, user)
    inquiry.save(update_fields=["stage", "updated_at"])
    _notify_inquiry(inquiry, Inquiry.Stage.CONTRACT_SIGNED)
    return contract


@transaction.atomic
def contract_register(
    *, user: User, inquiry: Inquiry, registration_number: str, registered_on: datetime.date
) -> TechContract:
    """技术合同认定登记: the contract counts in 技术合同成交额 from here on. A registered
    transfer (技术转让) marks the listing transferred."""
    inquiry = _locked(inquiry)
    require(rules.may_register_contract(user=user, inquiry=inquiry))
    contract = TechContract.objects.select_for_update().get(inquiry=inquiry)
    contract.registration_number = registration_number.strip()
    contract.registered_on = registered_on
    if registered_on > timezone.localdate():
        raise RuleBroken(_("登记日期不能晚于今天。"), rule="registered_on")
    contract.full_clean()
    contract.save(update_fields=["registration_number", "registered_on"])
    _transition(inquiry, Inquiry.Stage.CONTRACT_REGISTERED, user)
    inquiry.save(update_fields=["stage", "updated_at"])
    listing = TechListing.objects.select_for_update().get(pk=inquiry.listing_id)
    if (
        contract.contract_type == TechContract.Type.TRANSFER
        and listing.status == TechListing.Status.PUBLISHED
    ):
        listing.status = TechListing.Status.TRANSFERRED
        listing.save(update_fields=["status", "updated_at"])
    _notify_inquiry(inquiry, Inquiry.Stage.CONTRACT_REGISTERED)
    return contract
