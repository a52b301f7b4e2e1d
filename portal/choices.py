"""Choice labels as text, translated once per language and value rather than once per row.

A lazy label's text depends on the active language only (the catalogues are read once per
process). Django's ``get_<field>_display()`` builds a dict of the field's choices on every call,
hashing and so translating every label of the field; a page of 20 instruments with two such
columns translated about 200 labels. The API's ChoiceLabelField (portal.api.serializers) and the
models' displays (``cached_field_display``) look them up here instead.
"""

import functools

from django.db.models import Model
from django.db.models.fields import Field
from django.utils import translation
from django.utils.choices import CallableChoiceIterator
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

# (id of a labels dict that lives as long as the process, language) -> {value: label as text}.
_texts: dict[tuple[int, str | None], dict] = {}


def choice_label(labels: dict, value):
    """``labels.get(value, value)`` as text in the active language (None stays None)."""
    texts = _texts.setdefault((id(labels), translation.get_language()), {})
    if value in texts:
        return texts[value]
    label = labels.get(value, value)
    text = label if label is None else str(label)
    if value in labels:  # only the field's own choices: no growth from stray values
        texts[value] = text
    return text


@functools.cache
def _choices(field: Field) -> dict:
    return dict(make_hashable(field.flatchoices))


def cached_field_display(self, field: Field):
    """Model._get_FIELD_display with the field's choices read once: give it to a model as
    ``_get_FIELD_display = cached_field_display`` (before its fields, in the class body)."""
    if isinstance(field.choices, CallableChoiceIterator):  # choices that may change: as Django
        return Model._get_FIELD_display(self, field)
    raw = getattr(self, field.attname)
    value = make_hashable(raw)
    labels = _choices(field)
    if value in labels:
        return choice_label(labels, value)
    return force_str(raw, strings_only=True)
