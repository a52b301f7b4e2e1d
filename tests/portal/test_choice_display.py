"""get_<field>_display() through portal.choices (labels translated once per language and
value) says exactly what Django's own implementation says, for every choice, a blank, a None and
a value outside the choices, in both languages and after switching between them."""

import pytest
from django.db import models
from django.utils import translation

from portal.choices import cached_field_display
from sharing.bookings.models import Booking
from sharing.catalogue.models import Instrument, Platform

MODELS = [Instrument, Platform, Booking]


def test_the_models_use_the_cached_display():
    for model in MODELS:
        assert model._get_FIELD_display is cached_field_display


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_display_is_djangos(model):
    fields = [f for f in model._meta.concrete_fields if f.choices]
    assert fields
    for language in ("zh-hans", "en", "zh-hans"):
        with translation.override(language):
            for field in fields:
                values = [value for value, _label in field.flatchoices]
                for value in [*values, "", None, "no-such-choice", 7]:
                    thing = model(**{field.attname: value})
                    ours = getattr(thing, f"get_{field.name}_display")()
                    django = models.Model._get_FIELD_display(thing, field)
                    assert ours == django, (model, field.name, value, language)
                    assert type(ours) is type(django), (model, field.name, value)
