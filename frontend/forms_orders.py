"""Forms of the sample-order pages: the order (header, sample rows, a quantity per test item),
the manager's quote, and a test item of the price list. They check the shape of the input; the
services decide the rest and their refusals come back as the form's error, input kept."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from frontend.forms_projects import DataSelect
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.bookings.models import Project, SampleLine, TestItem, Voucher

SAMPLE_ROWS = 5


class OrderForm(forms.Form):
    project_name = forms.CharField(
        label=_("项目名称（可选）"), max_length=200, required=False, validators=[ONE_LINE]
    )
    urgent = forms.BooleanField(label=_("加急"), required=False)
    notes = forms.CharField(
        label=_("检测要求"),
        max_length=2000,
        required=False,
        validators=[SEVERAL_LINES],
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    voucher = forms.ModelChoiceField(
        label=_("科技创新券（可选）"),
        queryset=Voucher.objects.none(),
        required=False,
        empty_label=_("不使用创新券"),
    )

    project = forms.ModelChoiceField(
        label=_("记账课题（可选）"),
        queryset=Project.objects.none(),
        required=False,
        empty_label=_("不记在课题上"),
        widget=DataSelect,
    )

    def __init__(self, *args, items=(), vouchers=None, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.test_items = list(items)
        if projects is not None:
            self.fields["project"].queryset = projects
        self.fields["project"].label_from_instance = lambda p: f"{p.number} {p.name}"
        if vouchers is not None:
            self.fields["voucher"].queryset = vouchers
        self.fields["voucher"].label_from_instance = lambda v: (
            _("%(code)s（余额 %(balance)s 元，有效期至 %(until)s）")
            % {"code": v.code, "balance": v.balance, "until": v.valid_until.isoformat()}
        )
        for item in self.test_items:
            self.fields[f"qty_{item.pk}"] = forms.IntegerField(
                label=item.name, min_value=1, max_value=10000, required=False
            )

    def item_rows(self):
        return [(item, self[f"qty_{item.pk}"]) for item in self.test_items]

    def chosen(self) -> list[tuple[TestItem, int]]:
        return [
            (item, self.cleaned_data[f"qty_{item.pk}"])
            for item in self.test_items
            if self.cleaned_data.get(f"qty_{item.pk}")
        ]


class SampleForm(forms.Form):
    name = forms.CharField(
        label=_("样品名称"), max_length=100, required=False, validators=[ONE_LINE]
    )
    count = forms.IntegerField(label=_("数量"), min_value=1, max_value=10000, required=False)
    form = forms.ChoiceField(label=_("形态"), choices=SampleLine.Form.choices, required=False)
    hazards = forms.CharField(
        label=_("危险性说明"), max_length=300, required=False, validators=[ONE_LINE]
    )
    afterwards = forms.ChoiceField(
        label=_("检测后"), choices=SampleLine.Afterwards.choices, required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("name") and not data.get("count"):
            self.add_error("count", _("请填写样品数量。"))
        if data.get("count") and not data.get("name"):
            self.add_error("name", _("请填写样品名称。"))
        return data

    def line(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("name"):
            return None
        return {
            "name": data["name"],
            "count": data["count"],
            "form": data.get("form") or SampleLine.Form.OTHER,
            "hazards": data.get("hazards", ""),
            "afterwards": data.get("afterwards") or SampleLine.Afterwards.DISPOSE,
        }


SampleFormSet = forms.formset_factory(SampleForm, extra=SAMPLE_ROWS, max_num=SAMPLE_ROWS)


class QuoteForm(forms.Form):
    price = forms.DecimalField(label=_("报价（元）"), max_digits=12, decimal_places=2)
    date = forms.DateField(
        label=_("承诺出报告日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("报价说明"), max_length=300, required=False, validators=[ONE_LINE]
    )


class TestItemForm(forms.ModelForm):
    price = forms.DecimalField(
        label=_("单价（元）"), max_digits=12, decimal_places=2, min_value=Decimal(0)
    )
    minimum_charge = forms.DecimalField(
        label=_("最低收费（元）"), max_digits=12, decimal_places=2, min_value=Decimal(0), initial=0
    )
    urgent_surcharge_percent = forms.DecimalField(
        label=_("加急加收（%）"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(500),
        initial=0,
    )

    class Meta:
        model = TestItem
        fields = ["name", "unit", "price", "minimum_charge", "urgent_surcharge_percent", "active"]
