"""Sample-testing order pages (委托测试): the order form of an instrument, my orders, one
order with its timeline and buttons, the manager's orders and an instrument's price list.

Who sees an order is the API's answer (selectors.order_get: the customer, the instrument's
managers, administrators; anyone else 404). Each button is shown only when the rule the service
requires allows it, and each press goes through that service; a refusal comes back as the
rule's own message and a form keeps what was typed.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from frontend.forms_orders import OrderForm, QuoteForm, SampleFormSet, TestItemForm
from portal.errors import DomainError, NotFound
from sharing.bookings import rules as booking_rules
from sharing.bookings.models import SampleOrder, TestItem, VoucherEntry
from sharing.bookings.orders import rules, selectors, services
from sharing.bookings.projects.selectors import chargeable_projects
from sharing.bookings.selectors import bookable_instrument_get
from sharing.bookings.vouchers.ledger import max_share
from sharing.bookings.vouchers.selectors import voucher_usable

LIST_LIMIT = 200


def _instrument(instrument_id: int):
    try:
        return bookable_instrument_get(pk=instrument_id)
    except NotFound:
        raise Http404 from None


def _fields_error(form, exc: DomainError) -> None:
    form.add_error(None, exc.message)


# --- Ordering ----------------------------------------------------------------------------------


@login_required
def order_new(request, instrument_id: int):
    """The order form: a few sample rows and a quantity per test item of the price list."""
    instrument = _instrument(instrument_id)
    items = list(selectors.test_items(instrument=instrument))
    refusal = rules.may_order(user=request.user, instrument=instrument)
    data = request.POST if request.method == "POST" else None
    vouchers = voucher_usable(user=request.user, instrument=instrument, start=timezone.now())
    form = OrderForm(
        data, items=items, vouchers=vouchers, projects=chargeable_projects(user=request.user)
    )
    samples = SampleFormSet(data, prefix="samples")
    if request.method == "POST" and refusal is None and form.is_valid() and samples.is_valid():
        lines = [line for line in (f.line() for f in samples) if line]
        try:
            order = services.order_create(
                customer=request.user,
                instrument=instrument,
                samples=lines,
                items=form.chosen(),
                urgent=form.cleaned_data["urgent"],
                project_name=form.cleaned_data["project_name"],
                notes=form.cleaned_data["notes"],
                voucher=form.cleaned_data["voucher"],
                project=form.cleaned_data["project"],
            )
        except DomainError as exc:
            _fields_error(form, exc)
        else:
            messages.success(
                request,
                _("委托已提交，预估费用 %(amount)s 元；请等待仪器管理员报价。")
                % {"amount": order.estimate},
            )
            return redirect("frontend:order", pk=order.pk)
    elif request.method == "POST" and refusal is None:
        form.add_error(None, _("请检查下面标出的内容。"))
    return render(
        request,
        "frontend/orders/order_new.html",
        {
            "instrument": instrument,
            "form": form,
            "samples": samples,
            "refusal": refusal,
            "voucher_max_percent": f"{max_share() * 100:.0f}",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def my_orders(request):
    orders = list(selectors.order_list(user=request.user, role="mine")[:LIST_LIMIT])
    return render(request, "frontend/orders/order_mine.html", {"orders": orders})


# --- One order ---------------------------------------------------------------------------------


def _back(request, order: SampleOrder):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("frontend:order", pk=order.pk)


def _act(request, order: SampleOrder):
    user, action = request.user, request.POST.get("action", "")
    try:
        if action == "quote":
            form = QuoteForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("报价须填写金额和日期。"))
                return _back(request, order)
            services.order_quote(
                order=order,
                by=user,
                price=form.cleaned_data["price"],
                date=form.cleaned_data["date"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("已报价，委托人会收到通知。"))
        elif action == "accept":
            services.order_accept(order=order, by=user)
            messages.success(request, _("已确认报价，请按要求寄送样品。"))
        elif action == "receive":
            services.order_receive(order=order, by=user)
            messages.success(request, _("已登记收样。"))
        elif action == "start":
            services.order_start(order=order, by=user)
            messages.success(request, _("已开始检测。"))
        elif action == "report":
            upload = request.FILES.get("file")
            if upload is None:
                messages.error(request, _("请选择检测报告文件（PDF）。"))
                return _back(request, order)
            services.order_report(order=order, by=user, upload=upload)
            messages.success(request, _("检测报告已上传，委托人会收到通知。"))
        elif action == "close":
            services.order_close(order=order, by=user)
            messages.success(request, _("委托已完成。"))
        elif action == "cancel":
            services.order_cancel(order=order, by=user, reason=request.POST.get("reason", ""))
            messages.success(request, _("委托已取消。"))
        else:
            messages.error(request, _("无效的操作，请刷新页面后重试。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(request, order)


def _status_label(status: str) -> str:
    try:
        return str(SampleOrder.Status(status).label)
    except ValueError:
        return ""


@login_required
def order_detail(request, pk: int):
    try:
        order = selectors.order_get(pk=pk, user=request.user)
    except NotFound:
        raise Http404 from None
    if request.method == "POST":
        return _act(request, order)
    order = selectors.order_detail(order)
    transitions = list(order.transitions.all())
    for transition in transitions:
        transition.to_label = _status_label(transition.to_status)
        transition.from_label = _status_label(transition.from_status)
    has_report = rules.may_download_report(user=request.user, order=order) is None and hasattr(
        order, "report"
    )
    return render(
        request,
        "frontend/orders/order_detail.html",
        {
            "order": order,
            "instrument": order.instrument,
            "transitions": transitions,
            "allowed": rules.allowed_actions(user=request.user, order=order),
            "has_report": has_report,
            # The voucher's ledger for this order: reserved, then redeemed (or released).
            "voucher_entries": list(
                VoucherEntry.objects.filter(order=order)
                .select_related("voucher")
                .order_by("created_at", "pk")
            ),
            "is_customer": rules.is_customer(user=request.user, order=order),
            "quote_form": QuoteForm(
                initial={"price": order.quoted_price or order.estimate, "date": order.quoted_date}
            ),
        },
    )


# --- The manager's side ------------------------------------------------------------------------


@login_required
def manage_orders(request):
    """Instrument managers (and administrators): the orders on the instruments they manage,
    open ones first, each with the buttons its stage allows."""
    if not booking_rules.manages_any(user=request.user):
        raise PermissionDenied
    status = request.GET.get("status", "")
    qs = selectors.order_list(user=request.user, role="manager")
    if status in SampleOrder.Status.values:
        qs = qs.filter(status=status)
    orders = list(qs.prefetch_related("samples")[:LIST_LIMIT])
    for order in orders:
        order.allowed = rules.allowed_actions(user=request.user, order=order)
    return render(
        request,
        "frontend/orders/manage_orders.html",
        {
            "orders": orders,
            "status": status,
            "statuses": SampleOrder.Status.choices,
            "quote_form": QuoteForm(),
        },
    )


@login_required
def manage_test_items(request, instrument_id: int):
    """An instrument's price list for testing, kept by its managers (others 403)."""
    instrument = _instrument(instrument_id)
    if booking_rules.may_manage_instrument(user=request.user, instrument=instrument) is not None:
        raise PermissionDenied
    add_form = TestItemForm(prefix="new", instance=TestItem(instrument=instrument))
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "add":
                add_form = TestItemForm(
                    request.POST, prefix="new", instance=TestItem(instrument=instrument)
                )
                if add_form.is_valid():
                    services.test_item_create(
                        by=request.user,
                        instrument=instrument,
                        **{f: add_form.cleaned_data[f] for f in services.TEST_ITEM_FIELDS},
                    )
                    messages.success(request, _("已添加检测项目。"))
                    return redirect("frontend:manage-test-items", instrument_id=instrument.pk)
                status = 400
            elif action in ("save", "remove"):
                item = selectors.test_item_get(
                    instrument=instrument, pk=_int(request.POST.get("item"))
                )
                if action == "remove":
                    services.test_item_remove(by=request.user, item=item)
                    messages.success(request, _("已删除检测项目（已有委托的项目改为停用）。"))
                    return redirect("frontend:manage-test-items", instrument_id=instrument.pk)
                form = TestItemForm(request.POST, prefix=f"item{item.pk}", instance=item)
                if form.is_valid():
                    services.test_item_update(
                        by=request.user,
                        item=TestItem.objects.get(pk=item.pk),
                        **{f: form.cleaned_data[f] for f in services.TEST_ITEM_FIELDS},
                    )
                    messages.success(request, _("已保存检测项目。"))
                    return redirect("frontend:manage-test-items", instrument_id=instrument.pk)
                messages.error(request, _("检测项目未保存：%(errors)s") % {"errors": _flat(form)})
                status = 400
            else:
                messages.error(request, _("无效的操作，请刷新页面后重试。"))
        except NotFound:
            messages.error(request, _("检测项目不存在。"))
        except DomainError as exc:
            if action == "add":
                add_form.add_error(None, exc.message)
            else:
                messages.error(request, exc.message)
            status = 400
    items = list(selectors.test_items(instrument=instrument, with_inactive=True))
    rows = []
    for item in items:
        form = TestItemForm(prefix=f"item{item.pk}", instance=item)
        for field in form.fields.values():
            # Each row's inputs belong to that row's own form (outside the table).
            field.widget.attrs["form"] = f"item-form-{item.pk}"
        rows.append((item, form))
    return render(
        request,
        "frontend/orders/manage_test_items.html",
        {"instrument": instrument, "rows": rows, "add_form": add_form},
        status=status,
    )


def _int(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**63 else 0


def _flat(form) -> str:
    return "；".join(str(e) for errors in form.errors.values() for e in errors)
