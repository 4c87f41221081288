"""JSON bodies are read with the types the OpenAPI document gives, not coerced: DRF turns
`false` into 0.0 for a number and `0` into "0" for a text field, so a body the schema forbids
was stored as a value nobody sent. A mixin for the JSON endpoints' serializers refuses a value
of the wrong JSON type with a 400 naming the field (null stays for the nullable fields, as
DRF checks)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rest_framework import serializers


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _text(v: Any) -> bool:
    return isinstance(v, str)


def _boolean(v: Any) -> bool:
    return isinstance(v, bool)


_TEXT_FIELDS = (serializers.CharField, serializers.ChoiceField, serializers.DateField, serializers.DateTimeField,
                serializers.TimeField, serializers.UUIDField)
_NUMBER_FIELDS = (serializers.IntegerField, serializers.FloatField, serializers.DecimalField)


def _expected(field: serializers.Field) -> tuple[Callable[[Any], bool], str] | None:
    if isinstance(field, serializers.BooleanField):
        return _boolean, "true or false"
    if isinstance(field, _NUMBER_FIELDS):
        return _number, "a number"
    if isinstance(field, _TEXT_FIELDS):
        return _text, "a string"
    return None


def _json_type(v: Any) -> str:
    for kind, name in ((bool, "a boolean"), (int, "a number"), (float, "a number"), (str, "a string"),
                       (list, "an array"), (dict, "an object")):
        if isinstance(v, kind):
            return name
    return type(v).__name__


class StrictJSONTypes(serializers.Serializer):
    """Put first in the bases of a serializer whose body is JSON."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for name, field in self.fields.items():
                value = data.get(name)
                if field.read_only or value is None:
                    continue
                rule = _expected(field)
                if rule is not None and not rule[0](value):
                    errors[name] = [f"Must be {rule[1]}, not {_json_type(value)}."]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
