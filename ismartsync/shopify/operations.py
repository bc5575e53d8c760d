"""The GraphQL documents iSmartSync sends, one named operation per `operations/<Name>.graphql` file.

Keeping every document in a file lets one test validate them all against the pinned schema, and lets a reader see
exactly what the app asks of Shopify. Documents are read once and cached.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from graphql import OperationDefinitionNode, parse

OPERATIONS_DIR = Path(__file__).with_name("operations")

# The placeholder a document carries in `@idempotent(key: "IDEMPOTENCY_KEY")`: a string literal, so the file stays
# schema-valid, replaced by the caller's key at send time (Shopify documents the key inlined as a literal; whether
# its runtime accepts a variable there is unverified).
IDEMPOTENCY_PLACEHOLDER = '"IDEMPOTENCY_KEY"'
_IDEMPOTENT = re.compile(r"@idempotent\s*\(")
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")


class UnknownOperation(LookupError):
    """No `operations/<name>.graphql` file: a programming error, never a Shopify answer."""


def names() -> list[str]:
    """Every operation name there is a file for, sorted."""
    return sorted(path.stem for path in OPERATIONS_DIR.glob("*.graphql"))


@functools.cache
def load(name: str) -> str:
    """The text of the operation `name`, read from its file (cached)."""
    if not _NAME.match(name):
        raise UnknownOperation(f"not an operation name: {name!r}")
    path = OPERATIONS_DIR / f"{name}.graphql"
    if not path.is_file():
        raise UnknownOperation(f"no GraphQL operation file {path.name} in {OPERATIONS_DIR}")
    return path.read_text(encoding="utf-8")


@functools.cache
def operation_type(name: str) -> str:
    """The kind ("query" or "mutation") of the one operation in the file `name`."""
    definitions = [d for d in parse(load(name)).definitions if isinstance(d, OperationDefinitionNode)]
    if len(definitions) != 1:
        raise UnknownOperation(f"{name}.graphql must hold exactly one operation")
    return definitions[0].operation.value


def is_idempotent(document: str) -> bool:
    """Whether the document marks a field `@idempotent`, so it must be sent with a key."""
    return _IDEMPOTENT.search(document) is not None


def with_idempotency_key(document: str, key: str) -> str:
    """The document with the caller's key inlined as a properly escaped GraphQL string literal."""
    if not key or not key.strip():
        raise ValueError("an idempotency key must not be blank")
    if document.count(IDEMPOTENCY_PLACEHOLDER) != 1:
        raise ValueError(f"the document must hold {IDEMPOTENCY_PLACEHOLDER} exactly once")
    # A JSON string with ASCII escapes is also a valid GraphQL string literal (same escapes, \uXXXX for the rest).
    return document.replace(IDEMPOTENCY_PLACEHOLDER, json.dumps(key, ensure_ascii=True))
