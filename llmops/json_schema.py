"""JSON Schema checks through the ``jsonschema`` library: a schema's own validity, and whether
an answer is JSON that the schema accepts (a feature's ``validation.json_schema``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

__all__ = ["answer_problem", "schema_problem"]


def schema_problem(schema: Mapping[str, Any]) -> str | None:
    """Why ``schema`` is not a valid JSON Schema, or ``None``."""
    import jsonschema  # type: ignore[import-untyped]

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        return str(exc.message)
    return None


def answer_problem(schema: Mapping[str, Any], text: str) -> str | None:
    """Why ``text`` is not JSON valid against ``schema``, or ``None``."""
    import jsonschema

    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return "answer is not valid JSON"
    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "the answer"
    return f"answer does not match its JSON Schema at {where}: {error.message}"
