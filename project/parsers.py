"""Request body parsing for hostile input: a JSON parser with a nesting limit and clean text.

A JSON body nested a million levels deep made the standard parser raise ``RecursionError`` (a 500);
``"\\ud800"`` decodes to a lone surrogate that no database can store (a ``UnicodeEncodeError`` at the
insert, a 500); NUL is refused by PostgreSQL. Both are answered here with a 400 that says what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser

# Deepest nesting of any request body the API accepts; its deepest real body (a design graph) has four.
MAX_JSON_DEPTH = 32
# C0 and C1 controls except tab, newline and carriage return, DEL, and UTF-16 surrogates.
FORBIDDEN_CHAR = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\ud800-\\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (a control character or a lone surrogate), or None."""
    bad = FORBIDDEN_CHAR.search(value)
    if bad is None:
        return None
    return f"the text holds U+{ord(bad.group()):04X} (control characters and lone surrogates are refused)"


def json_problem(data: Any, *, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why parsed JSON ``data`` is refused (too deep, or a string that cannot be stored), or None.

    Iterative, so it never recurses itself however deep the data is.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if problem := text_problem(value):
                return problem
        elif isinstance(value, dict | list):
            if depth > max_depth:
                return f"nested deeper than {max_depth} levels"
            if isinstance(value, dict):
                stack.extend((key, depth) for key in value)
                stack.extend((item, depth + 1) for item in value.values())
            else:
                stack.extend((item, depth + 1) for item in value)
    return None


class SafeJSONParser(JSONParser):
    """DRF's JSON parser that answers 400 for bodies nested deeper than ``MAX_JSON_DEPTH`` or holding text
    that cannot be stored, instead of failing with a 500 deeper down."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels") from exc
        if problem := json_problem(data):
            raise ParseError(f"JSON parse error - {problem}")
        return data


class SafeFormParser(FormParser):
    """DRF's form parser that answers 400 for a field holding text that cannot be stored."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        for key, values in data.lists():
            for text in (key, *values):
                if problem := text_problem(text):
                    raise ParseError(f"form parse error - {problem}")
        return data
