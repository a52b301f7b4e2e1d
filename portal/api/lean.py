"""A read serializer's answer built from the dicts of a ``.values()`` query, no model rows.

On the list pages most of an answer's server time went to making model instances (five a row
with the joined relations, each with its own state and descriptors) and to DRF walking them
field by field (``get_attribute`` through every source). A ``Lean`` reads the serializer's
fields once and turns them into a plan: which column each field reads and the field's own
``to_representation`` for the value, so every value is formatted by the very code that
formatted it before (decimals, dates, time zones, labels in the request's language). What the
plan cannot read from a column (``SerializerMethodField``s) is given as a function of the row.

The rules DRF applies are kept: a value that is None answers None without formatting; a nested
serializer over a relation answers None when the relation is empty; ``source="*"`` nests read
the same row. A field the plan does not know (a related field, a hyperlink, a file) is refused
when the plan is made, so a serializer that grows one fails its equivalence test rather than
answering differently (tests/portal/test_lean_answers.py).
"""

import threading
from collections.abc import Callable, Iterable, Mapping

from django.db.models import QuerySet
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers

from portal.api.serializers import ChoiceLabelField, choice_labels
from portal.choices import choice_label

_local = threading.local()

# A method field's stand-in: the columns it needs and how it reads them (row, context) -> value.
Method = tuple[tuple[str, ...], Callable[[dict, dict], object]]

# Fields whose to_representation is str(value) (CharField's, inherited unchanged).
_STRINGS = (
    drf_fields.CharField,
    drf_fields.EmailField,
    drf_fields.RegexField,
    drf_fields.SlugField,
    drf_fields.URLField,
)
_REFUSED = (
    relations.RelatedField,
    relations.ManyRelatedField,
    drf_fields.FileField,
    drf_fields.HiddenField,
    drf_fields.ReadOnlyField,
)


def _same(value):
    return value


def _fast(field) -> Callable:
    if (
        type(field) in _STRINGS
        and type(field).to_representation is drf_fields.CharField.to_representation
    ):
        return str
    if type(field) is drf_fields.IntegerField:
        return int
    return field.to_representation


class Lean:
    """``Lean(Serializer, model=Model, methods={...})``: ``queryset(qs)`` narrows ``qs`` to the
    columns the serializer shows (plus ``extra``), ``represent(rows, context=…)`` answers the
    serializer's dicts for those rows. ``annotations`` are added to the query first (for the
    method fields' columns)."""

    def __init__(
        self,
        serializer_class: type[serializers.Serializer],
        *,
        model,
        methods: Mapping[str, Method] | None = None,
        annotations: Mapping[str, object] | None = None,
    ):
        self.serializer_class = serializer_class
        self.model = model
        self.methods = dict(methods or {})
        self.annotations = dict(annotations or {})

    # The plan holds field instances (their to_representation), built once per thread as
    # portal.api.represent keeps its serializers: DRF fields are not meant to be shared.
    def _plan(self):
        kept = _local.__dict__.setdefault("plans", {})
        plan = kept.get(id(self))
        if plan is None:
            serializer = self.serializer_class(context={})
            columns: list[str] = []
            plan = kept[id(self)] = (self._steps(serializer, "", self.model, columns), columns)
        return plan

    def _steps(self, serializer, prefix: str, model, columns: list[str]) -> list:
        steps = []
        for name, field in serializer.fields.items():
            if field.write_only:
                continue
            if name in self.methods and not prefix:
                needs, function = self.methods[name]
                columns.extend(c for c in needs if c not in columns)
                steps.append(("method", name, function))
                continue
            if isinstance(field, drf_fields.SerializerMethodField):
                raise TypeError(f"{name}: a method field needs its stand-in in methods=")
            if isinstance(field, ChoiceLabelField):
                column = prefix + field.choice_name
                labels = choice_labels(model._meta.concrete_model, field.choice_name)
                columns.append(column)
                steps.append(("label", name, column, labels))
                continue
            if type(field) is relations.PrimaryKeyRelatedField and field.pk_field is None:
                # DRF answers the related row's pk from the foreign key column (PKOnlyObject).
                column = prefix + model._meta.get_field(field.source).attname
                columns.append(column)
                steps.append(("value", name, column, _same))
                continue
            if isinstance(field, _REFUSED) or getattr(field, "many", False):
                raise TypeError(f"{name}: {type(field).__name__} is not read from a column")
            if isinstance(field, serializers.BaseSerializer):
                if field.source == "*":
                    steps.append(("nested", name, None, self._steps(field, prefix, model, columns)))
                    continue
                relation = model._meta.get_field(field.source)
                present = f"{prefix}{relation.attname}"
                columns.append(present)
                inner = self._steps(
                    field, f"{prefix}{field.source}__", relation.related_model, columns
                )
                steps.append(("nested", name, present, inner))
                continue
            if field.source == "*" or not field.source_attrs:
                raise TypeError(f"{name}: source {field.source!r} is not a column")
            column = prefix + "__".join(field.source_attrs)
            columns.append(column)
            steps.append(("value", name, column, _fast(field)))
        return steps

    def columns(self) -> list[str]:
        return list(self._plan()[1])

    def queryset(self, qs: QuerySet, *, extra: Iterable[str] = ()) -> QuerySet:
        if self.annotations:
            qs = qs.annotate(**self.annotations)
        names = self.columns()
        return qs.values(*names, *(e for e in extra if e not in names))

    def represent(self, rows: Iterable[dict], *, context: dict) -> list[dict]:
        steps = self._plan()[0]
        return [_build(steps, row, context) for row in rows]


def _build(steps: list, row: dict, context: dict) -> dict:
    out = {}
    for step in steps:
        kind, name = step[0], step[1]
        if kind == "value":
            value = row[step[2]]
            out[name] = None if value is None else step[3](value)
        elif kind == "label":
            out[name] = choice_label(step[3], row[step[2]])
        elif kind == "nested":
            present = step[2]
            if present is not None and row[present] is None:
                out[name] = None
            else:
                out[name] = _build(step[3], row, context)
        else:
            out[name] = step[2](row, context)
    return out
