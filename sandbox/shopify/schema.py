"""Shopify's real Admin GraphQL schema (2026-07 introspection), built once per process, with our resolvers attached.
Fields nobody resolves answer null, or an empty value of their type where the schema forbids null."""

from __future__ import annotations

import functools
import gzip
import json
import os
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_client_schema,
    is_abstract_type,
    is_enum_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    is_scalar_type,
)

DEFAULT_SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "shopify" / "admin_2026-07.json.gz"
SCALAR_DEFAULTS: dict[str, Any] = {
    "Int": 0,
    "Float": 0.0,
    "Boolean": False,
    "String": "",
    "ID": "gid://shopify/Unknown/0",
    "DateTime": "1970-01-01T00:00:00Z",
    "Date": "1970-01-01",
    "Money": "0.00",
    "Decimal": "0.0",
    "UnsignedInt64": "0",
    "URL": "",
    "HTML": "",
    "FormattedString": "",
    "JSON": {},
    "UtcOffset": "+00:00",
}
EMPTY_CONNECTION = {
    "edges": [],
    "nodes": [],
    "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
}
_MISSING = object()


def schema_path() -> Path:
    return Path(os.environ.get("SHOPIFY_SANDBOX_SCHEMA", DEFAULT_SCHEMA))


def placeholder(return_type: Any) -> Any:
    """The emptiest valid value of a type: null if allowed, else [] / 0 / "" / first enum value / {}."""
    if not is_non_null_type(return_type):
        return None
    inner = return_type.of_type
    if is_list_type(inner):
        return []
    if is_enum_type(inner):
        return next(iter(inner.values))
    if is_scalar_type(inner):
        return SCALAR_DEFAULTS.get(inner.name, "")
    if is_object_type(inner):
        return dict(EMPTY_CONNECTION) if inner.name.endswith("Connection") else {}
    return None


def default_resolver(source: Any, info: GraphQLResolveInfo, **_: Any) -> Any:
    """Dicts answer by key; records only through registered resolvers (their attribute names are not Shopify's)."""
    value = source.get(info.field_name, _MISSING) if isinstance(source, dict) else _MISSING
    return placeholder(info.return_type) if value is _MISSING else value


def not_implemented(source: Any, info: GraphQLResolveInfo, **_: Any) -> Any:
    """Mutations the sandbox does not model fail loudly rather than pretend to succeed."""
    raise GraphQLError(
        f"The Shopify sandbox does not implement {info.field_name}.", extensions={"code": "NOT_IMPLEMENTED"}
    )


def resolve_type(value: Any, info: GraphQLResolveInfo, abstract_type: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("__typename")
    return getattr(value, "typename", None)


@functools.cache
def load_schema(path: Path | None = None) -> GraphQLSchema:
    """Build the schema (about a second) and attach the registered resolvers; cached for the process."""
    from sandbox.shopify import resolvers  # noqa: F401  (registers resolvers)
    from sandbox.shopify.registry import RESOLVERS

    with gzip.open(path or schema_path()) as handle:
        schema = build_client_schema(json.load(handle)["data"])
    schema._validation_errors = []  # skip graphql-core's self-check; see shared/shopify/README.md
    for type_name, fields in RESOLVERS.items():
        graphql_type = schema.type_map[type_name]
        for field_name, fn in fields.items():
            graphql_type.fields[field_name].resolve = fn  # type: ignore[attr-defined]
    mutations = schema.mutation_type
    for field_name, mutation in mutations.fields.items() if mutations else ():
        if field_name not in RESOLVERS.get("Mutation", {}):
            mutation.resolve = not_implemented
    for graphql_type in schema.type_map.values():
        if is_abstract_type(graphql_type):
            graphql_type.resolve_type = resolve_type  # type: ignore[attr-defined]
    return schema
