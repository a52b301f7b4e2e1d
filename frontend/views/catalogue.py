"""Catalogue pages: instrument search and the instrument, organisation and platform pages."""

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from frontend import selectors
from frontend.views.minimap import MapPoint, minimap, point_of
from portal.accounts.models import Organisation, Region
from portal.api.cursors import InvalidCursor
from portal.i18n import local_name
from portal.page_throttles import page_throttle
from sharing.catalogue import rules
from sharing.catalogue.models import Instrument, InstrumentClass, Platform
from sharing.catalogue.selectors import contact_field


def instrument_point(instrument: Instrument) -> MapPoint | None:
    """The instrument's own point, else its platform's, else its organisation's."""
    label = local_name(instrument)
    return (
        point_of(instrument, label=label, source=_("仪器位置"))
        or point_of(instrument.platform, label=label, source=_("所属平台位置"))
        or point_of(instrument.organisation, label=label, source=_("所属单位位置"))
    )


def _contact(instrument: Instrument, user) -> dict:
    masked = not rules.may_see_contacts(user)
    return {
        "name": contact_field(instrument, "contact_name", masked=masked),
        "phone": contact_field(instrument, "contact_phone", masked=masked),
        "email": contact_field(instrument, "contact_email", masked=masked),
        "masked": masked,
    }


def _labels(model, names) -> dict:
    return {name: model._meta.get_field(name).verbose_name for name in names}


INSTRUMENT_FIELDS = [
    field.name
    for field in Instrument._meta.get_fields()
    if getattr(field, "verbose_name", None) and not field.auto_created
]


def instrument_detail(request, instrument_id: int):
    """Public; contact details masked for anonymous visitors."""
    instrument = selectors.instrument_detail(instrument_id)
    if instrument is None:
        raise Http404
    booking_url = instrument.booking_url
    return render(
        request,
        "frontend/instrument_detail.html",
        {
            "instrument": instrument,
            "labels": _labels(Instrument, INSTRUMENT_FIELDS),
            "contact": _contact(instrument, request.user),
            # Only web addresses become links; anything else a feed carried stays text.
            "booking_link": booking_url.startswith(("https://", "http://")),
            **minimap(instrument_point(instrument)),
        },
    )


def organisation_detail(request, organisation_id: int):
    """Public: organisations, their platforms and instruments are public facts."""
    organisation = selectors.organisation_detail(organisation_id)
    if organisation is None:
        raise Http404
    instruments, more = selectors.organisation_instruments(organisation)
    return render(
        request,
        "frontend/organisation_detail.html",
        {
            "organisation": organisation,
            "platforms": selectors.organisation_platforms(organisation),
            "instruments": instruments,
            "more_instruments": more,
            **minimap(point_of(organisation, label=local_name(organisation), source=_("单位位置"))),
        },
    )


def platform_detail(request, platform_id: int):
    """Public."""
    platform = selectors.platform_detail(platform_id)
    if platform is None:
        raise Http404
    instruments, more = selectors.platform_instruments(platform)
    return render(
        request,
        "frontend/platform_detail.html",
        {
            "platform": platform,
            "instruments": instruments,
            "more_instruments": more,
            **minimap(point_of(platform, label=local_name(platform), source=_("平台位置"))),
        },
    )


class InstrumentSearchForm(forms.Form):
    """The search page's filters, all optional; read from the query string."""

    q = forms.CharField(label=_("关键词"), required=False, max_length=100, strip=True)
    category = forms.ModelChoiceField(
        label=_("仪器大类"),
        queryset=InstrumentClass.objects.order_by("code"),
        required=False,
        empty_label=_("全部"),
    )
    region = forms.ModelChoiceField(
        label=_("地区"),
        queryset=Region.objects.order_by("adcode"),
        to_field_name="code",
        required=False,
        empty_label=_("全部"),
    )
    sharing_mode = forms.ChoiceField(
        label=_("共享模式"),
        choices=[("", _("全部")), *Instrument.SharingMode.choices],
        required=False,
    )
    status = forms.ChoiceField(
        label=_("运行状态"),
        choices=[("", _("全部")), *Instrument.RunningStatus.choices],
        required=False,
    )
    max_rate = forms.DecimalField(
        label=_("最高费率（元/小时）"),
        help_text=_("按适用于您的费率筛选；未登录时按跨地区费率。"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
    )
    bookable = forms.BooleanField(label=_("只看现在可预约的"), required=False)
    # Set by links from organisation and platform pages, not by the form.
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.all(), required=False, widget=forms.HiddenInput
    )
    platform = forms.ModelChoiceField(
        queryset=Platform.objects.all(), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        # Labels sit above their fields; a trailing ASCII colon reads wrong in Chinese.
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["category"].label_from_instance = lambda c: f"{c.code} {local_name(c)}"
        self.fields["region"].label_from_instance = local_name
        self.fields["organisation"].label = _("所属单位")
        self.fields["platform"].label = _("所属平台")


SEARCH_PAGE_SIZE = 20


def _query(query, *, drop=(), **changes) -> str:
    """The current query string with some parameters dropped or replaced."""
    query = query.copy()
    for name in (*drop, *changes):
        query.pop(name, None)
    for name, value in changes.items():
        query[name] = value
    return query.urlencode()


def _search_filters(cleaned: dict) -> dict:
    """The form's values in the terms instrument_search takes (codes and ids, not objects)."""
    category, region = cleaned.get("category"), cleaned.get("region")
    organisation, platform = cleaned.get("organisation"), cleaned.get("platform")
    return {
        "q": cleaned.get("q") or None,
        "category": category.code if category else None,
        "region": region.code if region else None,
        "organisation": organisation.pk if organisation else None,
        "platform": platform.pk if platform else None,
        "sharing_mode": cleaned.get("sharing_mode") or None,
        "status": cleaned.get("status") or None,
        "max_rate": cleaned.get("max_rate"),
        "bookable": bool(cleaned.get("bookable")),
    }


@page_throttle()
def instrument_list(request):
    """Public: search the live catalogue. Paged by cursor, never counted."""
    form = InstrumentSearchForm(request.GET or None)
    filters = {}
    if form.is_bound and form.is_valid():
        filters = form.cleaned_data
    instruments, next_cursor, cursor_error = [], None, False
    # Invalid filters show their messages and no results, rather than a silently wider search.
    if not form.is_bound or form.is_valid():
        try:
            instruments, next_cursor = selectors.instrument_search_page(
                user=request.user,
                filters=_search_filters(filters),
                cursor=request.GET.get("cursor"),
                size=SEARCH_PAGE_SIZE,
            )
        except InvalidCursor:
            cursor_error = True
    query = request.GET
    return render(
        request,
        "frontend/instrument_list.html",
        {
            "form": form,
            "instruments": instruments,
            "cursor_error": cursor_error,
            "next_query": _query(query, cursor=next_cursor) if next_cursor else None,
            "first_query": _query(query, drop=["cursor"]) if query.get("cursor") else None,
            "scope_organisation": filters.get("organisation"),
            "scope_platform": filters.get("platform"),
            "unscoped_query": _query(query, drop=["cursor", "organisation", "platform"]),
        },
    )
