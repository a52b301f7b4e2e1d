from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from frontend import selectors
from portal.i18n import local_name
from sharing.catalogue.models import Platform


def home(request):
    """Public."""
    return render(request, "frontend/home.html", {"regions": selectors.region_summaries()})


class PlatformFilterForm(forms.Form):
    region = forms.ChoiceField(label=_("地区"), required=False)
    kind = forms.ChoiceField(label=_("类型"), required=False)
    zone = forms.ChoiceField(label=_("一圈一廊一带"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("全部"))]
        self.fields["region"].choices = everything + [
            (r.code, local_name(r)) for r in selectors.regions()
        ]
        self.fields["kind"].choices = everything + list(Platform.Kind.choices)
        self.fields["zone"].choices = everything + [
            (z.code, local_name(z)) for z in selectors.zones()
        ]


def platform_list(request):
    """Public: platforms are public facts; no personal data on this page. Filtered by region,
    kind and zone; a filter that is not one of the choices is a 400 with the form's message."""
    form = PlatformFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # As on the search page: the messages and no rows, never a silently wider list.
        return render(
            request, "frontend/platform_list.html", {"platforms": [], "form": form}, status=400
        )
    filters = form.cleaned_data if form.is_bound else {}
    return render(
        request,
        "frontend/platform_list.html",
        {"platforms": selectors.platforms(**filters), "form": form},
    )
