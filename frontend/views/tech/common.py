"""What the exchange's pages share: their tabs and frame, a service's refusal put back on a
form or shown as a message, and the labels and match rows several pages show.

Pages read through sharing.techmarket.selectors, write only through its services, and ask its
rules who may do what: the page, the API and the service cannot disagree.
"""

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from portal.errors import DomainError, Forbidden
from sharing.techmarket import rules
from sharing.techmarket.models import Match, TechListing, TransferMode

PAGE_SIZE = 20
MATCHES_SHOWN = 20


def tech_nav(user) -> list[dict]:
    """The exchange's own tabs, only those the person can open."""
    items = [{"key": "browse", "url": reverse("frontend:tech"), "label": _("成果检索")}]
    if not user.is_authenticated:
        return items
    if rules.may_create_listing(user=user) is None:
        items.append(
            {"key": "mine", "url": reverse("frontend:tech") + "?mine=on", "label": _("本单位成果")}
        )
        items.append(
            {"key": "new", "url": reverse("frontend:tech-listing-new"), "label": _("填报成果")}
        )
    if rules.may_list_needs(user=user):
        items.append(
            {"key": "needs", "url": reverse("frontend:tech-needs"), "label": _("技术需求")}
        )
    if rules.is_reviewer(user):
        items.append({"key": "review", "url": reverse("frontend:tech-review"), "label": _("审查")})
    if rules.may_see_pipeline(user=user):
        items.append(
            {"key": "pipeline", "url": reverse("frontend:tech-pipeline"), "label": _("经纪看板")}
        )
    items.append(
        {"key": "contracts", "url": reverse("frontend:tech-contracts"), "label": _("合同登记")}
    )
    items.append(
        {"key": "services", "url": reverse("frontend:tech-services"), "label": _("中心服务")}
    )
    return items


def tech_render(request, template: str, context: dict, *, tab: str = "", status: int = 200):
    context = {"tech_nav": tech_nav(request.user), "tech_tab": tab, **context}
    return render(request, f"frontend/tech/{template}", context, status=status)


def domain_error_to_form(form, exc: Exception, *, aliases: dict | None = None) -> None:
    """Put a service's refusal next to the fields it names; what names no field of the form
    goes above it. Keeps the posted values: the form stays bound."""
    aliases = aliases or {}
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        general = [] if fields else list(exc.messages)
    else:
        fields = exc.fields or {}
        general = [exc.message]
        # A rule named after a field (signed_on, expires_on…) belongs next to that field.
        if not fields and exc.rule in form.fields:
            fields, general = {exc.rule: [exc.message]}, []
    for name, errors in fields.items():
        target = aliases.get(name, name)
        texts = [str(e) for e in errors if str(e)] or [exc.message]
        if target in form.fields:
            for text in texts:
                form.add_error(target, text)
        else:
            label = field_label(name)
            for text in texts:
                form.add_error(None, f"{label}{text}" if label else text)
    for text in general:
        if text not in form.non_field_errors():
            form.add_error(None, text)


def field_label(name: str) -> str:
    try:
        return f"{TechListing._meta.get_field(name).verbose_name}："
    except FieldDoesNotExist:
        return ""


def refused(request, refusal, *back):
    """A page's answer to a rule's refusal: 403 for the wrong person, else its message and a
    redirect to ``back`` (a URL name and its arguments); None when the rule allows."""
    if refusal is None:
        return None
    if isinstance(refusal, Forbidden):
        raise PermissionDenied(refusal.message)
    messages.error(request, refusal.message)
    return redirect(*back)


def act(request, action, *, success: str) -> bool:
    """Run one service call for a button; its refusal becomes a message (Forbidden a 403)."""
    try:
        action()
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    except DjangoValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return False
    messages.success(request, success)
    return True


MODE_LABELS = dict(TransferMode.choices)


def mode_labels(modes) -> list[str]:
    """The labels of transfer (or cooperation) modes, as stored."""
    return [str(MODE_LABELS.get(m, m)) for m in modes]


def match_view(match: Match) -> dict:
    """The score as a percentage, and the reasons' texts, strongest contribution first."""
    reasons = []
    for name, part in (match.reasons or {}).items():
        if not isinstance(part, dict):
            continue
        texts = part.get("texts") if isinstance(part.get("texts"), dict) else {}
        # Rows written before reasons carried every language keep their one (Chinese) text.
        text = str(texts.get(get_language()) or part.get("text") or "").strip()
        if not text:
            continue
        try:
            weight = float(part.get("score", 0)) * float(part.get("weight", 1))
        except (TypeError, ValueError):
            weight = 0.0
        reasons.append({"component": name, "text": text, "weight": weight})
    reasons.sort(key=lambda r: -r["weight"])
    return {
        "listing": match.listing,
        "need": match.need,
        "score": match.score,
        "percent": round(match.score * 100),
        "reasons": reasons,
    }
