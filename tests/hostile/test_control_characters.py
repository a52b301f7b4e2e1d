"""Every free-text field of bookings and the technology exchange refuses control characters:
each model field, each text box of the tech pages and each text field the API reads carries
portal.text's rule (one line or several), so a field added later cannot forget it."""

import inspect
import re

from django import forms
from django.apps import apps
from django.contrib.postgres.fields import ArrayField
from django.db import models
from rest_framework import serializers

from frontend import forms_tech
from portal.text import ControlCharacterValidator
from sharing.bookings.api import booking_serializers
from sharing.bookings.api import bookings as booking_api
from sharing.techmarket.api import centre as tech_centre
from sharing.techmarket.api import deals as tech_deals
from sharing.techmarket.api import files as tech_files
from sharing.techmarket.api import listings as tech_listings
from sharing.techmarket.api import needs as tech_needs

# Written by the portal itself (states, codes, tokens, file metadata), never typed by a person.
NOT_TYPED = {
    "bookings.notification": {"key", "subject", "body"},
    "bookings.calendartoken": {"token"},
    "bookings.bookingtransition": {"from_status", "to_status"},
    # The instrument's running status copied by problem_report, given back on resolution.
    "bookings.problemreport": {"running_status_before"},
    "techmarket.listingfile": {"original_name", "content_type"},
}


def _validators(field) -> list:
    return [v for v in field.validators if isinstance(v, ControlCharacterValidator)]


def test_every_free_text_model_field_carries_the_rule():
    missing = []
    for label in ("bookings", "techmarket"):
        for model in apps.get_app_config(label).get_models():
            skip = NOT_TYPED.get(model._meta.label_lower, set())
            for field in model._meta.get_fields():
                base = field.base_field if isinstance(field, ArrayField) else field
                typed = isinstance(base, models.CharField | models.TextField)
                if not typed or base.choices or field.name in skip:
                    continue
                if isinstance(base, models.EmailField):
                    continue  # the e-mail validator refuses control characters already
                rule = _validators(base)
                multiline = isinstance(base, models.TextField)
                if [v.multiline for v in rule] != [multiline]:
                    missing.append(f"{model._meta.label}.{field.name}")
    assert missing == []


def test_every_text_box_of_the_tech_pages_carries_the_rule():
    missing = []
    for name, form in vars(forms_tech).items():
        if not (isinstance(form, type) and issubclass(form, forms.Form)):
            continue
        for field_name, field in form.base_fields.items():
            searching = field_name == "q"  # a search, refused or not, stores nothing
            typed = type(field) in (forms.CharField, forms_tech.KeywordsField) and not searching
            if typed and len(_validators(field)) != 1:
                missing.append(f"{name}.{field_name}")
    assert missing == []


def _request_serializers(module) -> dict:
    """The serializers a module reads request bodies with: Name(data=...), input_serializer."""
    found = re.findall(
        r"(\w+Serializer)\((?:\w+, )?data=request\.data|input_serializer = (\w+)",
        inspect.getsource(module),
    )
    return {name: getattr(module, name) for pair in found for name in pair if name}


def _unguarded(serializer, path: str) -> list[str]:
    missing = []
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        field = getattr(field, "child", field)
        if isinstance(field, serializers.Serializer):
            missing += _unguarded(field, f"{path}.{name}")
            continue
        field = getattr(field, "child", field)
        plain = type(field) is serializers.CharField
        if plain and not _validators(field):
            missing.append(f"{path}.{name}")
    return missing


def test_every_text_field_the_api_reads_carries_the_rule():
    missing, seen = [], set()
    for module in (
        booking_api,
        booking_serializers,
        tech_listings,
        tech_needs,
        tech_deals,
        tech_files,
        tech_centre,
    ):
        for name, serializer in _request_serializers(module).items():
            seen.add(name)
            missing += _unguarded(serializer(), name)
    assert {"BookingCreateSerializer", "ReasonSerializer", "ListingWriteSerializer"} <= seen
    assert {"NeedSerializer", "InquiryCreateSerializer", "ServiceRequestSerializer"} <= seen
    assert {"DecisionSerializer", "AdvanceSerializer", "RegisterSerializer"} <= seen
    assert missing == []
