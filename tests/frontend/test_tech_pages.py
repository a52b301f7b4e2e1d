"""The technology exchange pages through the test client: who sees which tier of a listing,
the owner's editor and submission, the review queue, needs with their matches, the broker's
board and an inquiry carried to a registered contract, the register and the services."""

import csv
import datetime
import io
import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from portal.accounts.models import Organisation, Role
from sharing.techmarket.models import (
    BrokerProfile,
    Inquiry,
    ListingFile,
    ListingReview,
    Match,
    ServiceRequest,
    TechContract,
    TechListing,
    TechNeed,
)
from tests.factories import OrganisationFactory, UserFactory, beibei, mianyang
from tests.techmarket.factories import (
    FirmUserFactory,
    OwnerFactory,
    TechListingFactory,
    TechNeedFactory,
)

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
PHONE = "13800001234"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def no_mail_queue(monkeypatch):
    # Notifications are recorded in the outbox; sending them is not under test here.
    from portal.notifications import tasks

    monkeypatch.setattr(tasks.send_notification, "delay", lambda *args, **kwargs: None)


def tech_world() -> dict:
    """A Mianyang institute's owner with a published listing (a document and an image), a
    Beibei firm, a broker covering 新材料, a reviewer, and an outsider researcher."""
    my, bb = mianyang(), beibei()
    owner = OwnerFactory(
        username="owner",
        organisation=OrganisationFactory(
            name="中国工程物理研究院某所", region=my, kind=Organisation.Kind.RESEARCH_INSTITUTE
        ),
    )
    firm = FirmUserFactory(
        username="firm",
        organisation=OrganisationFactory(
            name="重庆某新材料有限公司", region=bb, kind=Organisation.Kind.FIRM
        ),
    )
    broker = UserFactory(username="broker", roles=[Role.BROKER], first_name="王经纪")
    BrokerProfile.objects.create(user=broker, fields=["materials"])
    reviewer = UserFactory(username="reviewer", roles=[Role.REVIEWER])
    outsider = UserFactory(username="outsider", roles=[Role.RESEARCHER])
    listing = TechListingFactory(
        created_by=owner,
        title="高强韧钛合金增材制造技术",
        abstract="面向航空结构件的钛合金激光增材制造工艺。",
        key_points=["致密度 99.9%", "抗拉强度 1100 MPa"],
        keywords=["钛合金", "增材制造"],
    )
    document = ListingFile(
        listing=listing,
        kind="document",
        original_name="技术说明.pdf",
        content_type="application/pdf",
        size=9,
        uploaded_by=owner,
    )
    document.file.save("doc.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    image = ListingFile(
        listing=listing,
        kind="image",
        original_name="样件.png",
        content_type="image/png",
        size=8,
        uploaded_by=owner,
    )
    image.file.save("img.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    return {
        "owner": owner,
        "firm": firm,
        "broker": broker,
        "reviewer": reviewer,
        "outsider": outsider,
        "listing": listing,
        "document": document,
        "image": image,
    }


@pytest.fixture
def world():
    return tech_world()


def as_(client, user):
    client.force_login(user)
    return client


# --- Browse and the tiers -----------------------------------------------------------------------


def test_anonymous_visitor_sees_teasers_and_filters(client, world):
    TechListingFactory(title="量子点显示材料", hightech_field="electronics")
    page = client.get("/tech/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "高强韧钛合金增材制造技术" in text and "量子点显示材料" in text
    assert "登录查看详情" in text
    assert PHONE not in text
    assert "面议" not in text  # the price is a member's detail
    filtered = client.get("/tech/", {"hightech_field": "electronics"}).content.decode()
    assert "量子点显示材料" in filtered and "高强韧钛合金" not in filtered
    searched = client.get("/tech/", {"q": "钛合金"}).content.decode()
    assert "高强韧钛合金增材制造技术" in searched and "量子点显示材料" not in searched
    bad = client.get("/tech/", {"trl_min": "8", "trl_max": "3"})
    assert "上限不能低于下限" in bad.content.decode()


def test_listing_teaser_hides_details_documents_and_contact(client, world):
    listing = world["listing"]
    page = client.get(f"/tech/listings/{listing.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert listing.title in text and listing.abstract in text and "TRL 6" in text
    assert "登录查看详情" in text
    for hidden in ("致密度 99.9%", PHONE, "zhang@example.cn", "/api/tech/files/", "表达意向"):
        assert hidden not in text


def test_member_sees_details_and_images_but_not_documents_or_contact(client, world):
    text = as_(client, world["outsider"]).get(f"/tech/listings/{world['listing'].pk}/")
    text = text.content.decode()
    assert "致密度 99.9%" in text and "面议" in text and "转让" in text
    assert f"/api/tech/files/{world['image'].pk}/" in text
    assert f"/api/tech/files/{world['document'].pk}/" not in text
    assert PHONE not in text
    assert "表达意向" not in text  # a researcher is not a firm


def test_firm_expresses_interest_accepting_the_nda_and_then_sees_contact(client, world):
    listing, firm = world["listing"], world["firm"]
    as_(client, firm)
    before = client.get(f"/tech/listings/{listing.pk}/").content.decode()
    assert "表达意向" in before and PHONE not in before
    answer = client.post(
        f"/tech/listings/{listing.pk}/interest/",
        {"message": "希望了解批量化成本", "nda": "accept"},
    )
    assert answer.status_code == 302
    inquiry = Inquiry.objects.get(listing=listing, firm=firm.organisation)
    assert inquiry.broker == world["broker"] and inquiry.nda_accepted_at is not None
    after = client.get(f"/tech/listings/{listing.pk}/").content.decode()
    assert PHONE in after and "zhang@example.cn" in after
    assert f"/api/tech/files/{world['document'].pk}/" in after
    assert "已接受保密条款" in after
    assert "新意向" in after


def test_firm_interest_without_nda_keeps_contact_closed(client, world):
    listing = world["listing"]
    as_(client, world["firm"])
    answer = client.post(
        f"/tech/listings/{listing.pk}/interest/", {"message": "先了解", "nda": "decline"}
    )
    assert answer.status_code == 302
    assert Inquiry.objects.get(listing=listing).nda_accepted_at is None
    text = client.get(f"/tech/listings/{listing.pk}/").content.decode()
    assert PHONE not in text
    assert "接受保密条款" in text  # the form stays, to accept the terms later


def test_the_interest_form_asks_for_the_nda_choice_with_no_default(client, world):
    listing = world["listing"]
    as_(client, world["firm"])
    page = client.get(f"/tech/listings/{listing.pk}/").content.decode()
    start = page.index('id="interest-form"')
    form = page[start : page.index("</form>", start)]
    assert "接受保密条款（可查看文档和联系方式）" in form
    assert "暂不接受（仅提交意向）" in form
    radios = re.findall(r'<input type="radio" name="nda"[^>]*>', form)
    assert len(radios) == 2
    assert not any("checked" in radio for radio in radios)
    assert all("required" in radio for radio in radios)
    answer = client.post(f"/tech/listings/{listing.pk}/interest/", {"message": "先了解"})
    assert answer.status_code == 400
    assert not Inquiry.objects.filter(listing=listing).exists()
    assert "请选择是否接受保密条款" in answer.content.decode()


def test_hidden_listings_are_absent(client, world):
    draft = TechListingFactory(created_by=world["owner"], status=TechListing.Status.DRAFT)
    internal = TechListingFactory(confidentiality=TechListing.Confidentiality.INTERNAL)
    assert client.get(f"/tech/listings/{draft.pk}/").status_code == 404
    assert client.get(f"/tech/listings/{internal.pk}/").status_code == 404
    assert client.get("/tech/listings/999999/").status_code == 404
    as_(client, world["outsider"])
    assert client.get(f"/tech/listings/{draft.pk}/").status_code == 404
    assert client.get(f"/tech/listings/{internal.pk}/").status_code == 200
    assert client.get(f"/tech/listings/{draft.pk}/edit/").status_code == 404


def test_a_script_in_a_title_is_shown_as_text(client, world):
    listing = TechListingFactory(title=SCRIPT, abstract=SCRIPT, contact_name=SCRIPT)
    for path in ("/tech/", f"/tech/listings/{listing.pk}/"):
        text = client.get(path).content.decode()
        assert ESCAPED in text and SCRIPT not in text
    as_(client, listing.created_by)
    text = client.get(f"/tech/listings/{listing.pk}/").content.decode()
    assert ESCAPED in text and SCRIPT not in text


# --- The owner -------------------------------------------------------------------------------


def test_owner_sees_status_review_history_and_actions(client, world):
    listing = world["listing"]
    ListingReview.objects.create(
        listing=listing,
        reviewer=world["reviewer"],
        decision="approve",
        secrecy_checked=True,
        export_control_checked=True,
        reason="不涉密，非管制物项",
    )
    text = as_(client, world["owner"]).get(f"/tech/listings/{listing.pk}/").content.decode()
    assert "成果管理" in text and "已发布" in text and "不涉密，非管制物项" in text
    assert f"/tech/listings/{listing.pk}/close/" in text
    answer = client.post(f"/tech/listings/{listing.pk}/close/", {"transferred": "on"})
    assert answer.status_code == 302
    listing.refresh_from_db()
    assert listing.status == TechListing.Status.TRANSFERRED
    as_(client, world["outsider"])
    assert client.post(f"/tech/listings/{listing.pk}/withdraw/").status_code in (403, 404)


def editor_post(**changes) -> dict:
    data = {
        "title": "一种陶瓷基复合材料",
        "abstract": "耐高温陶瓷基复合材料制备方法。",
        "key_point_1": "耐温 1600 ℃",
        "key_point_2": "",
        "key_point_3": "",
        "keywords": "陶瓷，复合材料、耐高温",
        "hightech_field": "materials",
        "industry_section": "C",
        "industry_division": "30",
        "trl": "5",
        "trl_scale": "gbt22900",
        "trl_evidence": "",
        "confidentiality": "public",
        "patent-TOTAL_FORMS": "3",
        "patent-INITIAL_FORMS": "0",
        "patent-MIN_NUM_FORMS": "0",
        "patent-MAX_NUM_FORMS": "20",
        "patent-0-number": "ZL202310000001.X",
        "patent-0-legal_status": "granted",
        "patent-0-holder": "中国工程物理研究院某所",
    }
    data.update(changes)
    return data


def test_editor_creates_a_draft_with_patents_and_key_points(client, world):
    as_(client, world["owner"])
    assert client.get("/tech/listings/new/").status_code == 200
    answer = client.post("/tech/listings/new/", editor_post(save="1"))
    assert answer.status_code == 302
    listing = TechListing.objects.get(title="一种陶瓷基复合材料")
    assert listing.status == TechListing.Status.DRAFT
    assert listing.key_points == ["耐温 1600 ℃"]
    assert listing.keywords == ["陶瓷", "复合材料", "耐高温"]
    assert listing.patents.get().number == "ZL202310000001.X"
    edit = client.get(f"/tech/listings/{listing.pk}/edit/").content.decode()
    assert "ZL202310000001.X" in edit and "陶瓷，复合材料，耐高温" in edit


def test_submitting_an_incomplete_listing_shows_field_errors_and_keeps_the_input(client, world):
    as_(client, world["owner"])
    answer = client.post("/tech/listings/new/", editor_post(submit="1"))
    assert answer.status_code == 400
    text = answer.content.decode()
    listing = TechListing.objects.get(title="一种陶瓷基复合材料")
    assert listing.status == TechListing.Status.DRAFT  # saved, not submitted
    assert "至少选择一种转化方式" in text
    assert "请说明成熟度的依据" in text
    assert "请填写联系人及电话或邮箱" in text
    assert "耐高温陶瓷基复合材料制备方法。" in text and "ZL202310000001.X" in text
    # The form now posts to the draft's editor, so a second try does not make a second draft.
    assert f'action="/tech/listings/{listing.pk}/edit/"' in text
    complete = editor_post(
        submit="1",
        trl_evidence="小试报告",
        transfer_modes=["assignment", "license_ordinary"],
        price="120.00",
        pricing_route="listing",
        contact_name="李老师",
        contact_email="li@example.cn",
    )
    assert client.post(f"/tech/listings/{listing.pk}/edit/", complete).status_code == 302
    listing.refresh_from_db()
    assert listing.status == TechListing.Status.SUBMITTED
    assert TechListing.objects.filter(title="一种陶瓷基复合材料").count() == 1


def test_submit_button_on_an_incomplete_draft_opens_the_editor_with_errors(client, world):
    draft = TechListingFactory(
        created_by=world["owner"], status=TechListing.Status.DRAFT, transfer_modes=[]
    )
    answer = as_(client, world["owner"]).post(f"/tech/listings/{draft.pk}/submit/")
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "至少选择一种转化方式" in text and draft.title in text


def test_editor_refuses_anyone_but_owners(client, world):
    assert client.get("/tech/listings/new/").status_code == 302
    assert as_(client, world["firm"]).get("/tech/listings/new/").status_code == 403
    assert client.post("/tech/listings/new/", editor_post()).status_code == 403
    listing = world["listing"]
    assert client.get(f"/tech/listings/{listing.pk}/edit/").status_code == 403


def test_editor_rejects_a_file_that_is_not_what_it_says(client, world):
    as_(client, world["owner"])
    fake = ContentFile(b"MZ not a pdf", name="说明.pdf")
    answer = client.post("/tech/listings/new/", {**editor_post(save="1"), "document": fake})
    assert answer.status_code == 400
    assert "文件类型不符" in answer.content.decode()
    assert TechListing.objects.get(title="一种陶瓷基复合材料").files.count() == 0


# --- Review --------------------------------------------------------------------------------------


def test_reviewer_starts_and_publishes_with_both_checks(client, world):
    submitted = TechListingFactory(
        created_by=world["owner"],
        status=TechListing.Status.SUBMITTED,
        submitted_at=timezone.now(),
        title="待审成果",
    )
    need = TechNeedFactory(status=TechNeed.Status.SUBMITTED, title="待审需求")
    as_(client, world["reviewer"])
    text = client.get("/tech/review/").content.decode()
    assert "待审成果" in text and "待审需求" in text and "开始审查" in text
    client.post(f"/tech/review/{submitted.pk}/start/")
    submitted.refresh_from_db()
    assert submitted.status == TechListing.Status.REVIEW
    text = client.get("/tech/review/").content.decode()
    assert "保密审查" in text and "出口管制审查" in text
    # Approving without the checks is refused, with the service's message.
    client.post(
        f"/tech/review/{submitted.pk}/decide/", {"decision": "approve", "reason": "可以发布"}
    )
    submitted.refresh_from_db()
    assert submitted.status == TechListing.Status.REVIEW
    answer = client.post(
        f"/tech/review/{submitted.pk}/decide/",
        {
            "decision": "approve",
            "reason": "可以发布",
            "secrecy_checked": "on",
            "export_control_checked": "on",
        },
        follow=True,
    )
    assert "已通过并发布" in answer.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == TechListing.Status.PUBLISHED
    client.post(f"/tech/needs/{need.pk}/decide/", {"decision": "return", "note": "请补充预算"})
    need.refresh_from_db()
    assert need.status == TechNeed.Status.DRAFT and need.review_note == "请补充预算"


def test_review_queue_is_for_reviewers_only(client, world):
    assert client.get("/tech/review/").status_code == 302
    for who in ("owner", "firm", "broker", "outsider"):
        assert as_(client, world[who]).get("/tech/review/").status_code == 403


# --- Needs and matches ---------------------------------------------------------------------------


def test_firm_posts_a_need_and_sees_its_matches_with_reasons(client, world):
    as_(client, world["firm"])
    assert client.get("/tech/needs/new/").status_code == 200
    expires = (timezone.localdate() + datetime.timedelta(days=60)).isoformat()
    answer = client.post(
        "/tech/needs/new/",
        {
            "title": "航空结构件轻量化",
            "problem": "需要钛合金结构件的增材制造工艺。",
            "keywords": "钛合金 增材制造",
            "hightech_field": "materials",
            "trl_min": "5",
            "trl_max": "8",
            "cooperation_modes": ["assignment"],
            "expires_on": expires,
            "submit": "1",
        },
    )
    assert answer.status_code == 302
    need = TechNeed.objects.get(title="航空结构件轻量化")
    assert need.status == TechNeed.Status.SUBMITTED
    Match.objects.create(
        listing=world["listing"],
        need=need,
        score=0.82,
        reasons={
            "keywords": {"score": 0.9, "weight": 0.4, "text": "关键词相同：钛合金、增材制造"},
            "trl": {"score": 1.0, "weight": 0.2, "text": "成熟度 6 在需求范围 5–8 内"},
            "distance": {"score": 0.3, "weight": 0.1, "text": SCRIPT},
        },
    )
    text = client.get(f"/tech/needs/{need.pk}/").content.decode()
    assert "为什么匹配" in text and "关键词相同：钛合金、增材制造" in text
    assert 'value="0.820"' in text and "82%" in text
    assert f"/tech/listings/{world['listing'].pk}/" in text
    assert ESCAPED in text and SCRIPT not in text
    assert text.index("关键词相同") < text.index("成熟度 6")
    assert "航空结构件轻量化" in client.get("/tech/needs/").content.decode()


def test_need_form_errors_stay_on_the_form(client, world):
    as_(client, world["firm"])
    past = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    answer = client.post(
        "/tech/needs/new/",
        {
            "title": "过期需求",
            "problem": "问题",
            "trl_min": "1",
            "trl_max": "9",
            "expires_on": past,
        },
    )
    assert answer.status_code == 400
    assert "截止日期不能早于今天" in answer.content.decode()
    assert not TechNeed.objects.filter(title="过期需求").exists()


def test_needs_pages_refuse_the_wrong_people(client, world):
    draft = TechNeedFactory(created_by=world["firm"], status=TechNeed.Status.DRAFT)
    assert client.get("/tech/needs/").status_code == 302
    assert as_(client, world["outsider"]).get("/tech/needs/").status_code == 403
    assert client.get("/tech/needs/new/").status_code == 403
    assert client.get(f"/tech/needs/{draft.pk}/").status_code == 404
    published = TechNeedFactory()
    Match.objects.create(listing=world["listing"], need=published, score=0.5, reasons={})
    text = client.get(f"/tech/needs/{published.pk}/").content.decode()
    assert "匹配的成果" not in text  # only its firm and brokers see why


# --- The broker's board and an inquiry -----------------------------------------------------------


def inquiry_for(world, **kwargs) -> Inquiry:
    from sharing.techmarket import services

    return services.inquiry_create(
        user=world["firm"], listing=world["listing"], message="有意向", **kwargs
    )


def test_broker_board_shows_cards_by_stage(client, world):
    inquiry = inquiry_for(world)
    as_(client, world["broker"])
    text = client.get("/tech/pipeline/").content.decode()
    for column in (
        "新意向",
        "已联系",
        "已签保密协议",
        "洽谈中",
        "已签合同",
        "已认定登记",
        "已关闭",
    ):
        assert column in text
    assert f"/tech/inquiries/{inquiry.pk}/" in text and "重庆某新材料有限公司" in text
    for who in ("firm", "owner", "outsider", "reviewer"):
        assert as_(client, world[who]).get("/tech/pipeline/").status_code == 403


def test_broker_carries_an_inquiry_to_a_registered_contract(client, world):
    inquiry = inquiry_for(world)
    as_(client, world["broker"])
    path = f"/tech/inquiries/{inquiry.pk}/"
    assert "推进到“已联系”" in client.get(path).content.decode()
    for stage in ("contacted", "nda_signed", "negotiating"):
        client.post(path + "advance/", {"to": stage, "note": "电话沟通"})
    inquiry.refresh_from_db()
    assert inquiry.stage == Inquiry.Stage.NEGOTIATING
    today = timezone.localdate()
    future = (today + datetime.timedelta(days=3)).isoformat()
    refused = client.post(
        path + "contract/",
        {"contract_type": "transfer", "amount": "120.50", "signed_on": future},
    )
    assert refused.status_code == 400
    assert "签订日期不能晚于今天" in refused.content.decode()
    assert 'value="120.50"' in refused.content.decode()
    client.post(
        path + "contract/",
        {"contract_type": "transfer", "amount": "120.50", "signed_on": today.isoformat()},
    )
    client.post(
        path + "register/",
        {"registration_number": "5001092026000123", "registered_on": today.isoformat()},
    )
    inquiry.refresh_from_db()
    assert inquiry.stage == Inquiry.Stage.CONTRACT_REGISTERED
    text = client.get(path).content.decode()
    assert "5001092026000123" in text and "已认定登记" in text
    register = client.get("/tech/contracts/").content.decode()
    assert "120.50" in register and "绵阳" in register and "北碚" in register
    csv = client.get("/tech/contracts/export.csv")
    assert csv.content.startswith("\ufeff".encode())
    assert "5001092026000123" in csv.content.decode("utf-8-sig")


def test_the_firm_closes_its_inquiry_with_a_reason_and_strangers_get_404(client, world):
    inquiry = inquiry_for(world)
    path = f"/tech/inquiries/{inquiry.pk}/"
    as_(client, world["outsider"])
    assert client.get(path).status_code == 404
    as_(client, world["firm"])
    text = client.get(path).content.decode()
    assert "关闭意向" in text and "推进到" not in text
    answer = client.post(path + "close/", {"reason": "other", "note": ""})
    assert answer.status_code == 400 and "请说明原因" in answer.content.decode()
    client.post(path + "close/", {"reason": "price_gap", "note": "预算不足"})
    inquiry.refresh_from_db()
    assert inquiry.stage == Inquiry.Stage.CLOSED and inquiry.close_reason == "price_gap"


def test_contract_register_shows_parties_only_their_own(client, world):
    inquiry = inquiry_for(world)
    TechContract.objects.create(
        inquiry=inquiry,
        contract_type="license",
        amount="30.00",
        seller=world["listing"].organisation,
        buyer=world["firm"].organisation,
        signed_on=timezone.localdate(),
        recorded_by=world["broker"],
    )
    assert "30.00" in as_(client, world["firm"]).get("/tech/contracts/").content.decode()
    assert "30.00" not in as_(client, world["outsider"]).get("/tech/contracts/").content.decode()
    client.logout()
    assert client.get("/tech/contracts/").status_code == 302


def test_the_contract_register_csv_guards_a_formula_behind_a_control_character(client, world):
    # A title stored before control characters were refused, or written past the forms.
    TechListing.objects.filter(pk=world["listing"].pk).update(title='\x01=HYPERLINK("x")')
    TechContract.objects.create(
        inquiry=inquiry_for(world),
        contract_type="license",
        amount="30.00",
        seller=world["listing"].organisation,
        buyer=world["firm"].organisation,
        signed_on=timezone.localdate(),
        recorded_by=world["broker"],
    )
    text = as_(client, world["firm"]).get("/tech/contracts/export.csv").content.decode()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == '\'=HYPERLINK("x")'


# --- The centre's services ------------------------------------------------------------------------


def test_firm_requests_a_service_and_broker_completes_it(client, world):
    as_(client, world["firm"])
    answer = client.post("/tech/services/", {"kind": "evaluation", "description": "评估我司需求"})
    assert answer.status_code == 302
    item = ServiceRequest.objects.get()
    assert "评估我司需求" in client.get("/tech/services/").content.decode()
    # The requester cannot accept its own request.
    assert client.post(f"/tech/services/{item.pk}/advance/", {"to": "accepted"}).status_code == 403
    as_(client, world["broker"])
    assert "评估我司需求" in client.get("/tech/services/").content.decode()
    for to in ("accepted", "in_progress"):
        client.post(f"/tech/services/{item.pk}/advance/", {"to": to})
    client.post(f"/tech/services/{item.pk}/advance/", {"to": "completed", "result": "已出具报告"})
    item.refresh_from_db()
    assert item.status == ServiceRequest.Status.COMPLETED and item.handler == world["broker"]
    assert (
        "已出具报告" not in as_(client, world["outsider"]).get("/tech/services/").content.decode()
    )


def test_the_navigation_shows_the_exchange_and_the_tabs_by_role(client, world):
    assert "技术交易" in client.get("/").content.decode()
    text = as_(client, world["broker"]).get("/tech/").content.decode()
    assert "经纪看板" in text and "审查" not in text.split("tech-nav")[1].split("</nav>")[0]
    text = as_(client, world["reviewer"]).get("/tech/").content.decode()
    assert "/tech/review/" in text


def test_firm_edits_a_returned_need_and_resubmits(client, world):
    need = TechNeedFactory(
        created_by=world["firm"],
        status=TechNeed.Status.DRAFT,
        review_note="请补充预算",
        keywords=["钛合金", "轻量化"],
    )
    as_(client, world["firm"])
    page = client.get(f"/tech/needs/{need.pk}/edit/").content.decode()
    assert "请补充预算" in page and "钛合金，轻量化" in page
    data = {
        "title": need.title,
        "problem": need.problem,
        "keywords": "钛合金，轻量化",
        "trl_min": "4",
        "trl_max": "7",
        "budget": "80",
        "expires_on": need.expires_on.isoformat(),
        "submit": "1",
    }
    assert client.post(f"/tech/needs/{need.pk}/edit/", data).status_code == 302
    need.refresh_from_db()
    assert need.status == TechNeed.Status.SUBMITTED and need.budget == 80 and need.trl_min == 4
    assert client.get(f"/tech/needs/{need.pk}/edit/").status_code == 302  # no longer a draft
    assert as_(client, world["outsider"]).get(f"/tech/needs/{need.pk}/edit/").status_code == 404


def test_pages_ask_the_database_a_bounded_number_of_times(
    client, world, django_assert_max_num_queries
):
    for _n in range(25):
        TechListingFactory(created_by=world["owner"])
    as_(client, world["outsider"])
    # The page itself, and one query of the header: the unread notifications count.
    with django_assert_max_num_queries(7):
        assert client.get("/tech/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"/tech/listings/{world['listing'].pk}/").status_code == 200


def test_owner_sees_the_needs_matched_to_a_listing_and_why(client, world):
    need = TechNeedFactory(title="机载钛合金支架", created_by=world["firm"])
    Match.objects.create(
        listing=world["listing"],
        need=need,
        score=0.64,
        reasons={"keywords": {"score": 0.8, "weight": 0.5, "text": "共同关键词：钛合金"}},
    )
    text = as_(client, world["owner"]).get(f"/tech/listings/{world['listing'].pk}/")
    text = text.content.decode()
    assert "匹配的技术需求" in text and "共同关键词：钛合金" in text
    assert f"/tech/needs/{need.pk}/" in text and "64%" in text
    member = as_(client, world["outsider"]).get(f"/tech/listings/{world['listing'].pk}/")
    assert "匹配的技术需求" not in member.content.decode()
