"""Forms of the technology exchange pages. They only parse and type what was posted; every
business rule is the services' (sharing.techmarket.services), whose errors the views put back
next to the fields they name.

Longer than 400 lines on purpose: the listing editor alone is half of it, and the other forms
share its text-box, keyword and choice helpers."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Region
from portal.i18n import local_name
from portal.text import ONE_LINE, SEVERAL_LINES
from sharing.techmarket import selectors
from sharing.techmarket.models import (
    SECTION_CHOICES,
    HighTechField,
    Inquiry,
    ListingReview,
    Patent,
    ServiceRequest,
    StrategicIndustry,
    TechContract,
    TechListing,
    TechNeed,
    TransferMode,
)
from sharing.techmarket.services import LISTING_FIELDS

ALL = [("", _("全部"))]
NONE = [("", "—")]
# Keywords may be typed with Chinese or Latin separators.
KEYWORD_SPLIT = re.compile(r"[,，、;；\s]+")


def keywords_parse(text: str) -> list[str]:
    return [k for k in KEYWORD_SPLIT.split(text or "") if k]


def text_box(
    label, *, max_length: int = 4000, required: bool = False, rows: int | None = None
) -> forms.CharField:
    """A box of several lines: line breaks allowed, other control characters refused."""
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}) if rows else forms.Textarea,
        validators=[SEVERAL_LINES],
    )


class _Form(forms.Form):
    def __init__(self, *args, **kwargs):
        # Labels sit above their fields; a trailing ASCII colon reads wrong in Chinese.
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class KeywordsField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("以逗号、顿号或空格分隔，每个不超过 40 字。"))
        # Words may be separated by line breaks and tabs; the words themselves hold neither.
        kwargs.setdefault("validators", [SEVERAL_LINES])
        super().__init__(required=False, max_length=600, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "，".join(value)
        return value

    def clean(self, value):
        words = keywords_parse(super().clean(value))
        if any(len(w) > 40 for w in words):
            raise ValidationError(_("每个关键词不超过 40 字。"))
        if len(words) > 20:
            raise ValidationError(_("关键词最多 20 个。"))
        return words


class LocalNameChoiceField(forms.ModelChoiceField):
    """Choices labelled with their English names on English pages where one is stored."""

    def label_from_instance(self, obj):
        return local_name(obj)


class ListingSearchForm(_Form):
    q = forms.CharField(label=_("关键词"), required=False, max_length=200, strip=True)
    hightech_field = forms.ChoiceField(
        label=_("高新技术领域"), choices=ALL + HighTechField.choices, required=False
    )
    industry_section = forms.ChoiceField(
        label=_("行业门类"), choices=ALL + SECTION_CHOICES, required=False
    )
    region = LocalNameChoiceField(
        label=_("地区"),
        queryset=Region.objects.order_by("adcode"),
        to_field_name="code",
        required=False,
        empty_label=_("全部"),
    )
    trl_min = forms.IntegerField(label=_("成熟度不低于"), required=False, min_value=1, max_value=9)
    trl_max = forms.IntegerField(label=_("成熟度不高于"), required=False, min_value=1, max_value=9)
    transfer_mode = forms.ChoiceField(
        label=_("转化方式"), choices=ALL + TransferMode.choices, required=False
    )
    mine = forms.BooleanField(label=_("只看本单位的成果（含草稿）"), required=False)

    def clean(self):
        data = super().clean()
        low, high = data.get("trl_min"), data.get("trl_max")
        if low and high and low > high:
            self.add_error("trl_max", _("上限不能低于下限。"))
        return data


class ListingForm(_Form):
    """Every field an owner fills in; the three key points are three boxes."""

    title = forms.CharField(label=_("成果名称"), max_length=200, validators=[ONE_LINE])
    abstract = text_box(_("成果简介"), required=True)
    key_point_1 = forms.CharField(
        label=_("技术要点一"), max_length=300, required=False, validators=[ONE_LINE]
    )
    key_point_2 = forms.CharField(
        label=_("技术要点二"), max_length=300, required=False, validators=[ONE_LINE]
    )
    key_point_3 = forms.CharField(
        label=_("技术要点三"), max_length=300, required=False, validators=[ONE_LINE]
    )
    advantages = text_box(_("与现有技术相比的优势"))
    applications = text_box(_("应用领域"))
    specifications = text_box(_("技术指标"))
    keywords = KeywordsField(label=_("关键词"))
    hightech_field = forms.ChoiceField(
        label=_("高新技术领域"), choices=NONE + HighTechField.choices, required=False
    )
    industry_section = forms.ChoiceField(
        label=_("国民经济行业门类"), choices=NONE + SECTION_CHOICES, required=False
    )
    industry_division = forms.RegexField(
        label=_("行业大类代码"),
        regex=r"^\d{2}$",
        required=False,
        help_text=_("两位数字，GB/T 4754-2017，须属于所选门类。"),
    )
    strategic_industry = forms.ChoiceField(
        label=_("战略性新兴产业"), choices=NONE + StrategicIndustry.choices, required=False
    )
    trl = forms.TypedChoiceField(
        label=_("技术成熟度"), choices=[(n, str(n)) for n in range(1, 10)], coerce=int
    )
    trl_scale = forms.ChoiceField(label=_("成熟度标准"), choices=TechListing.TrlScale.choices)
    trl_evidence = text_box(_("成熟度依据"), max_length=2000)
    stage = forms.ChoiceField(
        label=_("所处阶段"), choices=NONE + TechListing.Stage.choices, required=False
    )
    ip_type = forms.ChoiceField(
        label=_("知识产权类型"), choices=NONE + TechListing.IpType.choices, required=False
    )
    transfer_modes = forms.MultipleChoiceField(
        label=_("转化方式"),
        choices=TransferMode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    price = forms.DecimalField(
        label=_("参考价格（万元）"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    price_negotiable = forms.BooleanField(label=_("面议"), required=False)
    pricing_route = forms.ChoiceField(
        label=_("定价方式"), choices=NONE + TechListing.PricingRoute.choices, required=False
    )
    contact_name = forms.CharField(
        label=_("联系人"), max_length=64, required=False, validators=[ONE_LINE]
    )
    contact_phone = forms.CharField(
        label=_("联系电话"), max_length=32, required=False, validators=[ONE_LINE]
    )
    contact_email = forms.EmailField(label=_("联系邮箱"), required=False)
    confidentiality = forms.ChoiceField(
        label=_("公开范围"), choices=TechListing.Confidentiality.choices
    )
    export_controlled = forms.BooleanField(label=_("属于出口管制物项"), required=False)
    declassified = forms.BooleanField(label=_("解密成果"), required=False)
    declassification_authority = forms.CharField(
        label=_("解密审批机关"), max_length=200, required=False, validators=[ONE_LINE]
    )
    declassification_ref = forms.CharField(
        label=_("解密文号"), max_length=100, required=False, validators=[ONE_LINE]
    )
    declassified_on = forms.DateField(
        label=_("解密日期"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    image = forms.FileField(
        label=_("上传图片"), required=False, help_text=_("PNG 或 JPEG，不超过 5 MB。")
    )
    document = forms.FileField(
        label=_("上传文档"), required=False, help_text=_("PDF 或 DOCX，不超过 20 MB。")
    )

    WIDE = {"title", "abstract", "advantages", "applications", "specifications", "trl_evidence"}
    GROUPS = [
        (_("基本信息"), ["title", "abstract", "key_point_1", "key_point_2", "key_point_3"]),
        (_("技术内容"), ["advantages", "applications", "specifications", "keywords"]),
        (
            _("领域与成熟度"),
            [
                "hightech_field",
                "industry_section",
                "industry_division",
                "strategic_industry",
                "trl",
                "trl_scale",
                "trl_evidence",
                "stage",
                "ip_type",
            ],
        ),
        (_("转化方式与价格"), ["transfer_modes", "price", "price_negotiable", "pricing_route"]),
        (_("联系人"), ["contact_name", "contact_phone", "contact_email"]),
        (
            _("保密与出口管制"),
            [
                "confidentiality",
                "export_controlled",
                "declassified",
                "declassification_authority",
                "declassification_ref",
                "declassified_on",
            ],
        ),
        (_("图片与文档"), ["image", "document"]),
    ]

    @classmethod
    def initial_from(cls, listing: TechListing) -> dict:
        initial = {
            name: getattr(listing, name) for name in cls.base_fields if hasattr(listing, name)
        }
        for i, point in enumerate(listing.key_points[:3], start=1):
            initial[f"key_point_{i}"] = point
        initial.pop("image", None)
        initial.pop("document", None)
        return initial

    def groups(self):
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]

    def listing_data(self) -> dict:
        # The service names what a listing holds; uploads and the key-point boxes are the page's.
        data = {k: v for k, v in self.cleaned_data.items() if k in LISTING_FIELDS}
        data["key_points"] = [self.cleaned_data[f"key_point_{i}"] for i in (1, 2, 3)]
        return data


class PatentForm(_Form):
    number = forms.CharField(
        label=_("专利号"), max_length=32, required=False, validators=[ONE_LINE]
    )
    legal_status = forms.ChoiceField(
        label=_("法律状态"), choices=NONE + Patent.LegalStatus.choices, required=False
    )
    holder = forms.CharField(
        label=_("专利权人"), max_length=200, required=False, validators=[ONE_LINE]
    )

    def clean(self):
        data = super().clean()
        number = (data.get("number") or "").strip()
        if number and not data.get("legal_status"):
            self.add_error("legal_status", _("请选择法律状态。"))
        if number and not (data.get("holder") or "").strip():
            self.add_error("holder", _("请填写专利权人。"))
        if not number and (data.get("holder") or data.get("legal_status")):
            self.add_error("number", _("请填写专利号。"))
        return data


PATENT_ROWS = 3


def patent_formset(data=None, *, patents=()):
    initial = [
        {"number": p.number, "legal_status": p.legal_status, "holder": p.holder} for p in patents
    ]
    formset = forms.formset_factory(
        PatentForm, extra=PATENT_ROWS, max_num=20, validate_max=True, absolute_max=20
    )
    return formset(data, initial=initial, prefix="patent", form_kwargs={"label_suffix": ""})


def patents_from(formset) -> list[dict]:
    rows, seen = [], set()
    for form in formset:
        number = (form.cleaned_data.get("number") or "").strip()
        if number and number not in seen:
            seen.add(number)
            rows.append(
                {
                    "number": number,
                    "legal_status": form.cleaned_data["legal_status"],
                    "holder": form.cleaned_data["holder"].strip(),
                }
            )
    return rows


class InterestForm(_Form):
    """The NDA is a choice the firm makes, not a box it may overlook: two answers, neither
    chosen in advance, one required. ``nda_accepted`` is what the service takes."""

    message = text_box(_("意向说明"), rows=3)
    nda = forms.ChoiceField(
        label=_("保密条款"),
        choices=[
            ("accept", _("接受保密条款（可查看文档和联系方式）")),
            ("decline", _("暂不接受（仅提交意向）")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择是否接受保密条款。")},
    )

    def clean(self):
        data = super().clean()
        data["nda_accepted"] = data.get("nda") == "accept"
        return data


class ListingDecisionForm(_Form):
    secrecy_checked = forms.BooleanField(label=_("保密审查"), required=False)
    export_control_checked = forms.BooleanField(label=_("出口管制审查"), required=False)
    members_only = forms.BooleanField(label=_("仅对会员发布"), required=False)
    reason = text_box(_("审查理由"), max_length=2000, rows=2)
    decision = forms.ChoiceField(choices=ListingReview.Decision.choices)


class NeedDecisionForm(_Form):
    note = forms.CharField(
        label=_("审核意见"), max_length=2000, required=False, validators=[SEVERAL_LINES]
    )
    decision = forms.ChoiceField(choices=[("approve", _("通过")), ("return", _("退回"))])


class CloseListingForm(_Form):
    transferred = forms.BooleanField(label=_("已完成转化"), required=False)


class NeedForm(_Form):
    WIDE = {"title", "problem", "target_specs", "cooperation_modes"}
    title = forms.CharField(label=_("需求名称"), max_length=200, validators=[ONE_LINE])
    problem = text_box(_("需解决的问题"), required=True)
    target_specs = text_box(_("目标技术指标"))
    keywords = KeywordsField(label=_("关键词"))
    hightech_field = forms.ChoiceField(
        label=_("高新技术领域"), choices=NONE + HighTechField.choices, required=False
    )
    industry_section = forms.ChoiceField(
        label=_("国民经济行业门类"), choices=NONE + SECTION_CHOICES, required=False
    )
    industry_division = forms.RegexField(label=_("行业大类代码"), regex=r"^\d{2}$", required=False)
    trl_min = forms.TypedChoiceField(
        label=_("最低成熟度"), choices=[(n, str(n)) for n in range(1, 10)], coerce=int, initial=1
    )
    trl_max = forms.TypedChoiceField(
        label=_("最高成熟度"), choices=[(n, str(n)) for n in range(1, 10)], coerce=int, initial=9
    )
    cooperation_modes = forms.MultipleChoiceField(
        label=_("合作方式"),
        choices=TransferMode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    budget = forms.DecimalField(
        label=_("预算（万元）"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    expires_on = forms.DateField(
        label=_("截止日期"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self):
        data = super().clean()
        low, high = data.get("trl_min"), data.get("trl_max")
        if low and high and low > high:
            self.add_error("trl_max", _("最高成熟度不能低于最低成熟度。"))
        return data


class AdvanceForm(_Form):
    to = forms.ChoiceField(choices=Inquiry.Stage.choices)
    note = forms.CharField(
        label=_("备注"), max_length=2000, required=False, validators=[SEVERAL_LINES]
    )


class InquiryCloseForm(_Form):
    reason = forms.ChoiceField(
        label=_("关闭原因"), choices=NONE + Inquiry.CloseReason.choices, required=False
    )
    note = text_box(_("说明"), max_length=2000, rows=2)


class ContractForm(_Form):
    contract_type = forms.ChoiceField(label=_("合同类型"), choices=TechContract.Type.choices)
    amount = forms.DecimalField(
        label=_("成交额（万元）"), min_value=0, max_digits=14, decimal_places=2
    )
    signed_on = forms.DateField(
        label=_("签订日期"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class RegisterForm(_Form):
    registration_number = forms.CharField(
        label=_("认定登记编号"), max_length=64, validators=[ONE_LINE]
    )
    registered_on = forms.DateField(
        label=_("登记日期"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ServiceRequestForm(_Form):
    kind = forms.ChoiceField(label=_("服务类型"), choices=ServiceRequest.Kind.choices)
    description = text_box(_("需求说明"), required=True, rows=3)
    listing = forms.ModelChoiceField(
        label=_("相关成果"), queryset=TechListing.objects.none(), required=False, empty_label="—"
    )
    need = forms.ModelChoiceField(
        label=_("相关需求"), queryset=TechNeed.objects.none(), required=False, empty_label="—"
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.organisation_id:
            listings, needs = selectors.service_request_subjects(user=user)
            self.fields["listing"].queryset = listings
            self.fields["need"].queryset = needs


class ServiceAdvanceForm(_Form):
    to = forms.ChoiceField(choices=ServiceRequest.Status.choices)
    result = text_box(_("办理结果"), rows=2)
