"""Answers checked against the schemas of Gmail's discovery document (gmail.v1.json)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from tests.conftest import DISCOVERY


@cache
def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = json.loads(DISCOVERY.read_text())["schemas"]
    return schemas


def assert_conforms(value: Any, schema: str | dict[str, Any], where: str = "") -> None:
    """`value` has only fields the named schema defines, each of its declared type, recursively."""
    spec = _schemas()[schema] if isinstance(schema, str) else schema
    if "$ref" in spec:
        assert_conforms(value, spec["$ref"], where)
        return
    kind = spec.get("type")
    if kind == "object":
        assert isinstance(value, dict), f"{where or 'answer'}: {value!r} is not an object"
        properties = spec.get("properties", {})
        unknown = set(value) - set(properties)
        assert not unknown, f"{where or 'answer'}: fields {sorted(unknown)} are not in the schema"
        for key, item in value.items():
            assert_conforms(item, properties[key], f"{where}.{key}")
    elif kind == "array":
        assert isinstance(value, list), f"{where}: {value!r} is not an array"
        for index, item in enumerate(value):
            assert_conforms(item, spec["items"], f"{where}[{index}]")
    elif kind == "string":
        assert isinstance(value, str), f"{where}: {value!r} is not a string"
        if "enum" in spec:
            assert value in spec["enum"], f"{where}: {value!r} is not one of {spec['enum']}"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{where}: {value!r} is not a boolean"
    elif kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r} is not an integer"
