"""Serializers every app's API shows the same way."""

import functools

from rest_framework import serializers

from portal.choices import choice_label


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    adcode = serializers.CharField()
    name = serializers.CharField()


class LocationSerializer(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()


@functools.cache
def choice_labels(model: type, name: str) -> dict:
    labels = dict(model._meta.get_field(name).flatchoices)
    if not labels:
        # A field without choices has no labels to look up (its model may say them itself).
        raise TypeError(f"{model.__name__}.{name} has no choices for ChoiceLabelField")
    return labels


class ChoiceLabelField(serializers.CharField):
    """The label of a model field's choice, as ``get_<name>_display()`` gives it, in the
    request's language. Django's method hashes every label of the field on each call, which
    translates them all; on a list page that was hundreds of translations per answer."""

    def __init__(self, name: str, **kwargs):
        # The whole object as source: a model serializer would otherwise take this field for a
        # second writer of `name` (and refuse to build unique-together validators).
        self.choice_name = name
        super().__init__(source="*", **kwargs)

    def get_attribute(self, instance):
        value = getattr(instance, self.choice_name)
        labels = choice_labels(type(instance)._meta.concrete_model, self.choice_name)
        return choice_label(labels, value)
