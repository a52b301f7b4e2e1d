"""Who may do what in the technology exchange, and what comes next.

Services ``require()`` these before they write, the API answers their refusal, and pages and
templates ask the same functions to decide which buttons to show: a rule is decided here once.
A rule answers None when allowed, else the refusal (Forbidden for the wrong person, Conflict
with rule "wrong_state" for the wrong state, RuleBroken for the rest) with its message; plain
yes/no predicates answer a bool.

How much of a listing a person sees is its tier (listing_tier): a teaser, the member's
details, or everything with documents and contact.

Longer than 400 lines on purpose: the exchange's rules are read together (the states of
listings, needs, inquiries and service requests refer to one another), and the design names
one rules module per domain.
"""

from django.utils.translation import gettext as _

from portal.accounts.models import Role, User
from portal.accounts.rules import account_refusal
from portal.errors import Conflict, Forbidden, Refusal, RuleBroken
from sharing.techmarket.models import (
    Inquiry,
    ListingFile,
    ServiceRequest,
    TechListing,
    TechNeed,
)


def wrong_state(message: str) -> Conflict:
    return Conflict(message, rule="wrong_state")


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated


def _administrator(user) -> bool:
    return _signed_in(user) and user.is_administrator


# --- Ownership ---------------------------------------------------------------------------------


def listing_is_owner(*, user: User, listing: TechListing) -> bool:
    """Its author, or a technology owner of its organisation (ListingQuerySet.owned_by is the
    same as a set)."""
    if not _signed_in(user):
        return False
    if listing.created_by_id == user.pk:
        return True
    return bool(
        user.organisation_id == listing.organisation_id and user.has_role(Role.TECHNOLOGY_OWNER)
    )


def need_is_owner(*, user: User, need: TechNeed) -> bool:
    """Its author, or a firm user of its organisation (NeedQuerySet.owned_by as a set)."""
    if not _signed_in(user):
        return False
    return need.created_by_id == user.pk or bool(
        user.organisation_id == need.organisation_id and user.has_role(Role.FIRM)
    )


# --- Listing visibility tiers ------------------------------------------------------------------

TEASER, MEMBER, FULL = "teaser", "member", "full"
# The stages at which the broker has recorded a signed confidentiality agreement.
NDA_RECORDED = [
    Inquiry.Stage.NDA_SIGNED,
    Inquiry.Stage.NEGOTIATING,
    Inquiry.Stage.CONTRACT_SIGNED,
    Inquiry.Stage.CONTRACT_REGISTERED,
]


def listing_tier(*, user: User, listing: TechListing) -> str:
    """How much of a listing a person sees: a teaser (anyone), the details (signed-in members),
    or everything with documents and contact (owner, reviewer, administrator, the broker of one
    of its inquiries, a firm that accepted its confidentiality terms on an inquiry)."""
    return listing_tiers(user=user, listings=[listing])[listing.pk]


def listing_tiers(*, user: User, listings) -> dict[int, str]:
    """listing_tier for a page of listings at once: two queries at most, whatever the page."""
    if not _signed_in(user):
        return {listing.pk: TEASER for listing in listings}
    if _administrator(user):
        return {listing.pk: FULL for listing in listings}
    tiers, undecided = {}, []
    for listing in listings:
        if listing_is_owner(user=user, listing=listing) or (
            user.has_role(Role.REVIEWER) and listing.status != TechListing.Status.DRAFT
        ):
            tiers[listing.pk] = FULL
        else:
            undecided.append(listing)
    if not undecided:
        return tiers
    live = Inquiry.objects.filter(listing__in=[listing.pk for listing in undecided]).exclude(
        stage=Inquiry.Stage.CLOSED
    )
    full: set[int] = set()
    if user.has_role(Role.BROKER):
        full |= set(live.filter(broker=user).values_list("listing_id", flat=True))
    if user.organisation_id:
        # A ticked box is not enough for export-controlled technology: the broker must have
        # recorded the signed confidentiality agreement (the NDA stage or later).
        signed = live.filter(firm_id=user.organisation_id, nda_accepted_at__isnull=False)
        full |= {
            listing_id
            for listing_id, stage, controlled in signed.values_list(
                "listing_id", "stage", "listing__export_controlled"
            )
            if not controlled or stage in NDA_RECORDED
        }
    for listing in undecided:
        tiers[listing.pk] = FULL if listing.pk in full else MEMBER
    return tiers


def files_visible(*, tier: str, files) -> list[ListingFile]:
    """Images open to members; documents only at the full tier; nothing in a teaser."""
    if tier == FULL:
        return list(files)
    if tier == MEMBER:
        return [f for f in files if f.kind == ListingFile.Kind.IMAGE]
    return []


# --- Matches -----------------------------------------------------------------------------------


def may_see_matches(*, user: User, owner: bool) -> bool:
    """Matches show who else is looking: only the party itself (``owner``), brokers,
    coordinators and administrators read them."""
    return _signed_in(user) and (owner or user.has_any_role(Role.BROKER, Role.COORDINATOR))


def may_see_listing_matches(*, user: User, listing: TechListing) -> Refusal:
    if not may_see_matches(user=user, owner=listing_is_owner(user=user, listing=listing)):
        return Forbidden(_("只有成果持有方和经纪人可以查看匹配结果。"))
    return None


def may_see_need_matches(*, user: User, need: TechNeed) -> Refusal:
    if not may_see_matches(user=user, owner=need_is_owner(user=user, need=need)):
        return Forbidden(_("只有需求方和经纪人可以查看匹配结果。"))
    return None


def organisation_required(*, user: User) -> Refusal:
    """What a person files (a listing, a need, a service request) is filed for their
    organisation: without one there is nothing to file it under."""
    if not (_signed_in(user) and user.organisation_id):
        return RuleBroken(_("请先关联所属机构。"), rule="organisation_required")
    return None


# --- Listings ----------------------------------------------------------------------------------


def may_create_listing(*, user: User) -> Refusal:
    if refusal := account_refusal(user=user):
        return refusal
    if not (_signed_in(user) and user.has_any_role(Role.TECHNOLOGY_OWNER)):
        return Forbidden(_("只有成果持有方可以填报成果。"))
    return None


def may_edit_listing(*, user: User, listing: TechListing) -> Refusal:
    if not (listing_is_owner(user=user, listing=listing) or _administrator(user)):
        return Forbidden(_("只有成果持有方可以修改。"))
    if listing.status != TechListing.Status.DRAFT:
        return wrong_state(_("只有草稿可以修改；请先撤回或等待退回。"))
    return None


def may_add_file(*, user: User, listing: TechListing) -> Refusal:
    if not listing_is_owner(user=user, listing=listing):
        return Forbidden(_("只有成果持有方可以上传附件。"))
    if listing.status != TechListing.Status.DRAFT:
        return wrong_state(_("只有草稿可以上传附件；请先撤回或等待退回。"))
    return None


def may_submit_listing(*, user: User, listing: TechListing) -> Refusal:
    if not listing_is_owner(user=user, listing=listing):
        return Forbidden(_("只有成果持有方可以提交审查。"))
    if listing.status != TechListing.Status.DRAFT:
        return wrong_state(
            _("只有草稿可以提交审查；该成果当前为“%(status)s”，无需再次提交。")
            % {"status": listing.get_status_display()}
        )
    return None


def may_withdraw_listing(*, user: User, listing: TechListing) -> Refusal:
    """An owner takes a submitted listing back to draft before review starts."""
    if not listing_is_owner(user=user, listing=listing):
        return Forbidden(_("只有成果持有方可以撤回。"))
    if listing.status != TechListing.Status.SUBMITTED:
        return wrong_state(
            _("只有已提交、尚未开始审查的成果可以撤回；该成果当前为“%(status)s”。")
            % {"status": listing.get_status_display()}
        )
    return None


def may_close_listing(*, user: User, listing: TechListing) -> Refusal:
    if not (listing_is_owner(user=user, listing=listing) or _administrator(user)):
        return Forbidden(_("只有成果持有方可以关闭成果。"))
    if listing.status != TechListing.Status.PUBLISHED:
        return wrong_state(
            _("只有已发布的成果可以关闭；该成果当前为“%(status)s”。")
            % {"status": listing.get_status_display()}
        )
    return None


# --- Review (listings and needs) ---------------------------------------------------------------


def is_reviewer(user: User) -> bool:
    """Review is the reviewer's alone: an administrator without the role does not review."""
    return _signed_in(user) and user.has_role(Role.REVIEWER)


def may_see_review_queue(*, user: User) -> Refusal:
    if not is_reviewer(user):
        return Forbidden(_("只有审核员可以查看审查队列。"))
    return None


def _recused(user: User, item: TechListing | TechNeed) -> bool:
    """A reviewer does not review their own, nor their organisation's (回避)."""
    return item.created_by_id == user.pk or bool(
        user.organisation_id and user.organisation_id == item.organisation_id
    )


def may_review(*, user: User, listing: TechListing) -> Refusal:
    """A reviewer, not of the owning organisation."""
    if not is_reviewer(user):
        return Forbidden(_("只有审核员可以审查成果。"))
    if _recused(user, listing):
        return Forbidden(_("审核员不能审查本单位的成果（回避）。"), rule="conflict_of_interest")
    return None


def may_start_review(*, user: User, listing: TechListing) -> Refusal:
    if refusal := may_review(user=user, listing=listing):
        return refusal
    if listing.status != TechListing.Status.SUBMITTED:
        return wrong_state(
            _("只有已提交的成果可以开始审查；该成果当前为“%(status)s”。")
            % {"status": listing.get_status_display()}
        )
    return None


def may_decide_listing(*, user: User, listing: TechListing) -> Refusal:
    if refusal := may_review(user=user, listing=listing):
        return refusal
    if listing.status != TechListing.Status.REVIEW:
        return wrong_state(
            _("请先开始审查再作出结论；该成果当前为“%(status)s”。")
            % {"status": listing.get_status_display()}
        )
    return None


def may_decide_need(*, user: User, need: TechNeed) -> Refusal:
    """The light review of a need: a reviewer, not of the firm that posted it."""
    if not is_reviewer(user):
        return Forbidden(_("只有审核员可以审核需求。"))
    if _recused(user, need):
        return Forbidden(_("审核员不能审核本单位的需求（回避）。"), rule="conflict_of_interest")
    if need.status != TechNeed.Status.SUBMITTED:
        return wrong_state(
            _("只有待审核的需求可以审核；该需求当前为“%(status)s”。")
            % {"status": need.get_status_display()}
        )
    return None


# --- Needs -------------------------------------------------------------------------------------


def may_create_need(*, user: User) -> Refusal:
    if refusal := account_refusal(user=user):
        return refusal
    if not (_signed_in(user) and user.has_any_role(Role.FIRM)):
        return Forbidden(_("只有企业用户可以发布需求。"))
    return None


def may_list_needs(*, user: User) -> bool:
    """The needs page: a firm's own needs, or the published ones for brokers and coordinators."""
    return _signed_in(user) and user.has_any_role(Role.FIRM, Role.BROKER, Role.COORDINATOR)


def may_edit_need(*, user: User, need: TechNeed) -> Refusal:
    if not (need_is_owner(user=user, need=need) or _administrator(user)):
        return Forbidden(_("只有需求方可以修改。"))
    if need.status != TechNeed.Status.DRAFT:
        return wrong_state(_("只有草稿可以修改；请先等待审核，退回后即可修改。"))
    return None


def may_submit_need(*, user: User, need: TechNeed) -> Refusal:
    if not need_is_owner(user=user, need=need):
        return Forbidden(_("只有需求方可以提交。"))
    if need.status != TechNeed.Status.DRAFT:
        return wrong_state(
            _("只有草稿可以提交；该需求当前为“%(status)s”，无需再次提交。")
            % {"status": need.get_status_display()}
        )
    return None


def may_close_need(*, user: User, need: TechNeed) -> Refusal:
    if not (need_is_owner(user=user, need=need) or _administrator(user)):
        return Forbidden(_("只有需求方可以关闭需求。"))
    if need.status == TechNeed.Status.CLOSED:
        return wrong_state(_("需求已关闭，无需再次关闭。"))
    return None


# --- Inquiries ---------------------------------------------------------------------------------

OPEN_STAGES = [
    s
    for s in Inquiry.Stage.values
    if s not in (Inquiry.Stage.CLOSED, Inquiry.Stage.CONTRACT_REGISTERED)
]
# The stages a broker moves by hand; contract stages go through contract_record/register.
NEXT_STAGE = {
    Inquiry.Stage.NEW: Inquiry.Stage.CONTACTED,
    Inquiry.Stage.CONTACTED: Inquiry.Stage.NDA_SIGNED,
    Inquiry.Stage.NDA_SIGNED: Inquiry.Stage.NEGOTIATING,
}
# Past these an inquiry is over or bound by a contract: it cannot be closed.
UNCLOSABLE = (
    Inquiry.Stage.CLOSED,
    Inquiry.Stage.CONTRACT_REGISTERED,
    Inquiry.Stage.CONTRACT_SIGNED,
)


def may_inquire(*, user: User, listing: TechListing | None) -> Refusal:
    """A firm user, on a published listing of another organisation (``listing`` None: not one
    the person may see, which is as good as unpublished)."""
    if refusal := account_refusal(user=user):
        return refusal
    if not (_signed_in(user) and user.has_role(Role.FIRM) and user.organisation_id):
        return Forbidden(_("只有企业用户可以提出意向。"))
    if listing is None or listing.status != TechListing.Status.PUBLISHED:
        return wrong_state(_("该成果未发布，不能提出意向。"))
    if listing.organisation_id == user.organisation_id:
        return RuleBroken(_("不能对本单位的成果提出意向。"), rule="own_listing")
    return None


def is_broker(user: User) -> bool:
    return _signed_in(user) and user.has_any_role(Role.BROKER)


def may_link(*, user: User, need: TechNeed, listing: TechListing | None = None) -> Refusal:
    """A broker links a published need to a published listing of another organisation; without
    ``listing``, whether the need may be linked at all."""
    if not is_broker(user):
        return Forbidden(_("只有技术经纪人可以撮合需求与成果。"))
    if need.status != TechNeed.Status.PUBLISHED or (
        listing is not None and listing.status != TechListing.Status.PUBLISHED
    ):
        return wrong_state(_("只有已发布的成果和需求可以撮合。"))
    if listing is not None and listing.organisation_id == need.organisation_id:
        return RuleBroken(
            _("成果与需求属于同一单位，不能撮合；请选择其他单位的需求。"), rule="own_listing"
        )
    return None


def is_carrier(*, user: User, inquiry: Inquiry) -> bool:
    """The assigned broker carries an inquiry (administrators may step in)."""
    return _signed_in(user) and (inquiry.broker_id == user.pk or _administrator(user))


def _may_carry(user: User, inquiry: Inquiry) -> Refusal:
    if not is_carrier(user=user, inquiry=inquiry):
        return Forbidden(_("只有分派的技术经纪人可以推进该意向。"))
    return None


def next_stage(inquiry: Inquiry) -> str | None:
    """The stage the broker moves the inquiry to by hand, if any."""
    return NEXT_STAGE.get(inquiry.stage)


def may_advance_inquiry(*, user: User, inquiry: Inquiry, to: str) -> Refusal:
    if refusal := _may_carry(user, inquiry):
        return refusal
    if next_stage(inquiry) == to:
        return None
    if inquiry.stage in NEXT_STAGE:
        return wrong_state(
            _("不能从“%(from)s”推进到“%(to)s”；下一步只能是“%(next)s”。")
            % {
                "from": inquiry.get_stage_display(),
                "to": Inquiry.Stage(to).label if to in Inquiry.Stage.values else to,
                "next": Inquiry.Stage(NEXT_STAGE[inquiry.stage]).label,
            }
        )
    return wrong_state(
        _("意向当前为“%(from)s”，不能再推进；洽谈中请登记合同签订，已签合同请认定登记。")
        % {"from": inquiry.get_stage_display()}
    )


def may_close_inquiry(*, user: User, inquiry: Inquiry) -> Refusal:
    """The broker or the firm that asked, until a contract is signed."""
    is_firm = _signed_in(user) and (
        inquiry.created_by_id == user.pk
        or (user.organisation_id == inquiry.firm_id and user.has_role(Role.FIRM))
    )
    if not (is_firm or is_carrier(user=user, inquiry=inquiry)):
        return Forbidden(_("只有经纪人或意向企业可以关闭意向。"))
    if inquiry.stage in UNCLOSABLE:
        return wrong_state(_("该意向已结束或已签合同，不能关闭。"))
    return None


def may_record_contract(*, user: User, inquiry: Inquiry) -> Refusal:
    if refusal := _may_carry(user, inquiry):
        return refusal
    if inquiry.stage != Inquiry.Stage.NEGOTIATING:
        return wrong_state(
            _("只有洽谈中的意向可以登记合同签订；该意向当前为“%(stage)s”。")
            % {"stage": inquiry.get_stage_display()}
        )
    return None


def may_register_contract(*, user: User, inquiry: Inquiry) -> Refusal:
    if refusal := _may_carry(user, inquiry):
        return refusal
    if inquiry.stage != Inquiry.Stage.CONTRACT_SIGNED:
        return wrong_state(
            _("请先登记合同签订，再认定登记；该意向当前为“%(stage)s”。")
            % {"stage": inquiry.get_stage_display()}
        )
    return None


def may_see_pipeline(*, user: User) -> bool:
    """The broker's board: brokers (their own cards), coordinators and administrators (all)."""
    return _signed_in(user) and user.has_any_role(Role.BROKER, Role.COORDINATOR)


def sees_only_own_cards(*, user: User) -> bool:
    return _signed_in(user) and user.has_role(Role.BROKER) and not user.is_administrator


def sees_every_contract(*, user: User) -> bool:
    """The contract register: coordinators, brokers and administrators see all of it."""
    return _signed_in(user) and user.has_any_role(Role.COORDINATOR, Role.BROKER)


# --- The centre's services ---------------------------------------------------------------------

SERVICE_NEXT = {
    ServiceRequest.Status.REQUESTED: ServiceRequest.Status.ACCEPTED,
    ServiceRequest.Status.ACCEPTED: ServiceRequest.Status.IN_PROGRESS,
    ServiceRequest.Status.IN_PROGRESS: ServiceRequest.Status.COMPLETED,
}


def is_centre_staff(user: User) -> bool:
    """The centre's staff (brokers) and administrators handle every request."""
    return _signed_in(user) and user.has_any_role(Role.BROKER)


def may_request_service(
    *, user: User, listing: TechListing | None = None, need: TechNeed | None = None
) -> Refusal:
    if refusal := organisation_required(user=user):
        return refusal
    if listing is not None and not listing_is_owner(user=user, listing=listing):
        return Forbidden(_("只能为本单位的成果申请服务。"))
    if need is not None and not need_is_owner(user=user, need=need):
        return Forbidden(_("只能为本单位的需求申请服务。"))
    return None


def service_next(request: ServiceRequest) -> str | None:
    return SERVICE_NEXT.get(request.status)


def may_cancel_service_request(*, user: User, request: ServiceRequest) -> Refusal:
    """The requester (or an administrator), until it is completed or cancelled."""
    if request.requester_id != user.pk and not _administrator(user):
        return Forbidden(_("只有申请人可以取消。"))
    if request.status in (ServiceRequest.Status.COMPLETED, ServiceRequest.Status.CANCELLED):
        return wrong_state(_("该服务已完成或已取消，不能再取消。"))
    return None


def may_handle_service_request(*, user: User, request: ServiceRequest, to: str) -> Refusal:
    """The centre's staff move a request one step on; once one of them has taken it, it is
    theirs (administrators may step in)."""
    if not is_centre_staff(user):
        return Forbidden(_("只有中心工作人员可以办理服务。"))
    if request.handler_id and request.handler_id != user.pk and not _administrator(user):
        return Forbidden(_("该服务已由其他人承办。"))
    allowed = service_next(request)
    if allowed == to:
        return None
    if allowed:
        return wrong_state(
            _("服务当前为“%(now)s”，下一步只能是“%(next)s”。")
            % {"now": request.get_status_display(), "next": ServiceRequest.Status(allowed).label}
        )
    return wrong_state(
        _("服务当前为“%(now)s”，已结束，不能再变更。") % {"now": request.get_status_display()}
    )


def may_advance_service_request(*, user: User, request: ServiceRequest, to: str) -> Refusal:
    if to == ServiceRequest.Status.CANCELLED:
        return may_cancel_service_request(user=user, request=request)
    return may_handle_service_request(user=user, request=request, to=to)
