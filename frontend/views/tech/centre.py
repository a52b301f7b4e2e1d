"""Technology exchange pages of the centre: the contract register with 技术合同成交额 per
region (and its CSV), and the centre's services, requested and followed to completion."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend import forms_tech
from frontend.views.tech.common import act, domain_error_to_form, tech_render
from portal import spreadsheets
from portal.errors import DomainError
from sharing.techmarket import rules, selectors, services
from sharing.techmarket.models import ServiceRequest


def _year(request) -> int | None:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


@login_required
def contracts(request):
    """The register (parties see their own; brokers, coordinators, administrators all) and
    技术合同成交额 per region from registered contracts."""
    year = _year(request)
    rows = selectors.contract_register_rows(user=request.user)
    if year:
        rows = rows.filter(signed_on__year=year)
    this_year = timezone.localdate().year
    return tech_render(
        request,
        "contracts.html",
        {
            "contracts": list(rows[:500]),
            "turnover": selectors.contract_turnover_by_region(year=year),
            "year": year,
            "years": list(range(this_year, this_year - 6, -1)),
        },
        tab="contracts",
    )


@login_required
def contracts_csv(request):
    """The register as CSV, UTF-8 with a BOM so that Excel opens the Chinese text."""
    year = _year(request)
    rows = selectors.contract_register_rows(user=request.user)
    if year:
        rows = rows.filter(signed_on__year=year)
    response = HttpResponse(
        spreadsheets.csv_stream(_contract_rows(rows)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="tech-contracts-{stamp}.csv"'
    return response


def _contract_rows(contracts):
    yield [
        _("成果名称"),
        _("合同类型"),
        _("成交额（万元）"),
        _("卖方（技术输出）"),
        _("买方（技术吸纳）"),
        _("签订日期"),
        _("认定登记编号"),
        _("登记日期"),
    ]
    for c in contracts.iterator(chunk_size=500):
        yield [
            c.inquiry.listing.title,
            c.get_contract_type_display(),
            f"{c.amount:.2f}",
            c.seller.name,
            c.buyer.name,
            c.signed_on,
            c.registration_number,
            c.registered_on,
        ]


@login_required
def service_list(request):
    """Anyone signed in with an organisation requests a service and follows it; brokers see
    every request and move it on."""
    user = request.user
    form = forms_tech.ServiceRequestForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.service_request_create(
                user=user,
                kind=data["kind"],
                description=data["description"],
                listing=data.get("listing"),
                need=data.get("need"),
            )
        except (DomainError, DjangoValidationError) as exc:
            domain_error_to_form(form, exc)
        else:
            messages.success(request, _("服务申请已提交。"))
            return redirect("frontend:tech-services")
    handler = rules.is_centre_staff(user)
    requests = list(selectors.service_requests(user=user)[:200])
    for item in requests:
        nxt = rules.service_next(item)
        if nxt and rules.may_handle_service_request(user=user, request=item, to=nxt) is None:
            item.next_status = ServiceRequest.Status(nxt)
        else:
            item.next_status = None
        item.cancellable = rules.may_cancel_service_request(user=user, request=item) is None
    return tech_render(
        request,
        "services.html",
        {
            "form": form,
            "requests": requests,
            "handler": handler,
            "completed": ServiceRequest.Status.COMPLETED,
        },
        tab="services",
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def service_advance(request, pk: int):
    item = selectors.service_requests(user=request.user).filter(pk=pk).first()
    if item is None:
        raise Http404
    form = forms_tech.ServiceAdvanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("无效的操作，请刷新页面后重试。"))
        return redirect("frontend:tech-services")
    to = form.cleaned_data["to"]
    act(
        request,
        lambda: services.service_request_advance(
            user=request.user, request=item, to=to, result=form.cleaned_data["result"]
        ),
        success=_("服务状态已更新为“%(status)s”。") % {"status": ServiceRequest.Status(to).label},
    )
    return redirect("frontend:tech-services")
