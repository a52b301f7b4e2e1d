"""Serializers every app's API shows the same way."""

from rest_framework import serializers


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
