"""Forms of the project pages: a new project, the organisation's threshold and the month of a
statement. They check the shape; the services decide the rest."""

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontend.templatetags.localise import CJK
from portal import i18n
from portal.accounts.models import User
from portal.text import ONE_LINE
from sharing.bookings.models import Project


class DataSelect(forms.Select):
    """A select whose options are data (names, project titles): on an English page an option
    in Chinese is marked lang="zh-Hans", as the |data filter marks text."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if not i18n.is_chinese() and CJK.search(str(label)):
            option["attrs"]["lang"] = "zh-Hans"
        return option


class ProjectForm(forms.Form):
    name = forms.CharField(label=_("课题名称"), max_length=200, validators=[ONE_LINE])
    number = forms.CharField(label=_("课题编号/经费卡号"), max_length=64, validators=[ONE_LINE])
    funding_source = forms.ChoiceField(label=_("经费来源"), choices=Project.FundingSource.choices)
    investigator = forms.ModelChoiceField(
        label=_("课题负责人"),
        queryset=User.objects.none(),
        required=False,
        empty_label=None,
        widget=DataSelect,
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is None:
            del self.fields["investigator"]
        else:
            self.fields["investigator"].queryset = members
            self.fields["investigator"].label_from_instance = lambda u: (
                u.get_full_name() or u.username
            )


class ThresholdForm(forms.Form):
    amount = forms.DecimalField(
        label=_("课题负责人审批阈值（元）"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        help_text=_("超过该金额的课题费用须经课题负责人同意；留空表示无需审批。"),
    )


def month_of(text: str | None) -> datetime.date:
    """YYYY-MM, or the previous month (the one a statement is usually wanted for)."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        if 2000 <= year <= 2099 and 1 <= month <= 12:
            return datetime.date(year, month, 1)
    except ValueError:
        pass
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
