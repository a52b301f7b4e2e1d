"""Who may apply for a voucher, decide an application, ask for settlement and decide it. Pages
and the API ask these; each returns None or a Refusal."""

from django.utils.translation import gettext as _

from portal.accounts.models import Organisation, Region, Role, User
from portal.errors import Conflict, Forbidden, Refusal, RuleBroken
from sharing.bookings.models import SettlementRequest, VoucherApplication
from sharing.catalogue.models import Instrument


def coordinates(*, user: User, region_id: int | None) -> bool:
    """An administrator, or a coordinator whose organisation is in the region: the voice of
    that region's 科技局 in the portal."""
    if user.is_administrator:
        return True
    return (
        user.has_role(Role.COORDINATOR)
        and user.organisation_id is not None
        and user.organisation.region_id == region_id
    )


def manages_provider(*, user: User, organisation_id: int | None) -> bool:
    """An administrator, an instrument manager of the organisation, or a manager of one of its
    instruments: they speak for the provider in settlement."""
    if user.is_administrator:
        return True
    if organisation_id is None or not user.is_authenticated:
        return False
    if user.organisation_id == organisation_id and user.has_role(Role.INSTRUMENT_MANAGER):
        return True
    return Instrument.objects.filter(organisation_id=organisation_id, managers=user).exists()


def may_apply(*, user: User, region: Region) -> Refusal:
    if not user.organisation_id:
        return Forbidden(_("您的账号未关联单位，不能申请创新券。"), rule="voucher_no_organisation")
    if not user.has_any_role(Role.FIRM, Role.RESEARCHER):
        return Forbidden(
            _("只有企业用户和研究人员可以为本单位申请创新券。"), rule="voucher_apply_forbidden"
        )
    if not region.name:
        return RuleBroken(_("请选择发放地区。"), rule="voucher_region")
    return None


def may_decide_application(*, user: User, application: VoucherApplication) -> Refusal:
    if not coordinates(user=user, region_id=application.issuing_region_id):
        return Forbidden(
            _("只有发放地区的协调员可以审批创新券申请。"), rule="voucher_not_coordinator"
        )
    if application.status != VoucherApplication.Status.SUBMITTED:
        return Conflict(_("该申请已审批过。"), rule="voucher_application_decided")
    return None


def may_request_settlement(*, user: User, provider: Organisation | None) -> Refusal:
    if provider is None or not manages_provider(user=user, organisation_id=provider.pk):
        return Forbidden(
            _("只有服务单位的仪器管理员可以申请兑现。"), rule="settlement_not_provider"
        )
    return None


def may_decide_settlement(*, user: User, request: SettlementRequest) -> Refusal:
    if not coordinates(user=user, region_id=request.issuing_region_id):
        return Forbidden(
            _("只有发放地区的协调员可以审核兑现申请。"), rule="settlement_not_coordinator"
        )
    if request.status == SettlementRequest.Status.PAID:
        return Conflict(_("该兑现申请已兑付。"), rule="settlement_paid")
    return None
