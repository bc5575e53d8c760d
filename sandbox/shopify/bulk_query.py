"""Bulk query documents: checking them as Shopify does and running them to JSONL (one object per line, nested
connection children on their own lines with `__parentId`), through the same resolvers as ordinary queries."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    parse,
    validate,
)
from graphql.error import GraphQLError
from graphql.execution.values import get_argument_values

from sandbox.shopify.registry import GETTERS, LISTINGS, Ctx
from sandbox.shopify.schema import default_resolver, placeholder

MAX_CONNECTIONS = 5
MAX_DEPTH = 2
PAGING_ARGS = ("first", "last", "after", "before")
_MISSING = object()


class BulkQueryError(Exception):
    pass


@dataclass
class PlanField:
    key: str
    name: str
    parent: str
    definition: GraphQLField
    args: dict[str, Any]
    kind: str  # leaf | object | list | connection
    return_type: Any
    children: list[PlanField] = field(default_factory=list)
    fetch: Callable[[Any], Any] | None = None


@dataclass
class FakeInfo:
    """What resolvers read from GraphQLResolveInfo, for running them outside graphql-core."""

    context: Ctx
    field_name: str
    return_type: Any
    variable_values: dict[str, Any] = field(default_factory=dict)


def _selections(selection_set: SelectionSetNode | None) -> Iterator[FieldNode]:
    for sel in selection_set.selections if selection_set else ():
        if isinstance(sel, FieldNode):
            yield sel
        elif isinstance(sel, InlineFragmentNode):
            yield from _selections(sel.selection_set)
        else:
            raise BulkQueryError("Fragments are not supported in bulk queries by the sandbox; inline the fields.")


class Planner:
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.connections = 0

    def fields(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType, depth: int) -> list[PlanField]:
        out = []
        for node in _selections(selection_set):
            name = node.name.value
            if name == "__typename":
                continue
            definition = parent.fields[name]  # type: ignore[attr-defined]
            named = get_named_type(definition.type)
            args = {k: v for k, v in get_argument_values(definition, node, {}).items() if k not in PAGING_ARGS}
            key = node.alias.value if node.alias else name
            base = PlanField(key, name, parent.name, definition, args, "leaf", definition.type)
            if is_leaf_type(named):
                out.append(base)
            elif named.name.endswith("Connection"):
                out.append(self.connection(node, base, named, depth))
            else:
                inner = definition.type.of_type if is_non_null_type(definition.type) else definition.type
                base.kind = "list" if is_list_type(inner) else "object"
                base.children = self.fields(node.selection_set, named, depth)
                out.append(base)
        return out

    def connection(self, node: FieldNode, base: PlanField, connection: GraphQLNamedType, depth: int) -> PlanField:
        self.connections += 1
        if self.connections > MAX_CONNECTIONS:
            raise BulkQueryError(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections.")
        if depth >= MAX_DEPTH + 1:
            raise BulkQueryError(
                f"Bulk queries cannot contain connections with a nesting depth greater than {MAX_DEPTH}."
            )
        if (base.parent, base.name) not in LISTINGS:
            raise BulkQueryError(
                f"The sandbox does not support the connection {base.parent}.{base.name} in bulk queries."
            )
        base.kind = "connection"
        for sub in _selections(node.selection_set):
            if sub.name.value == "edges":
                for inner in _selections(sub.selection_set):
                    if inner.name.value == "node":
                        node_type = get_named_type(connection.fields["edges"].type).fields["node"].type  # type: ignore[attr-defined]
                        base.children += self.fields(inner.selection_set, get_named_type(node_type), depth + 1)
            elif sub.name.value == "nodes":
                node_type = get_named_type(connection.fields["nodes"].type)  # type: ignore[attr-defined]
                base.children += self.fields(sub.selection_set, node_type, depth + 1)
        if any(_has_connection(c) for c in base.children) and not any(
            c.name == "id" and c.key == "id" for c in base.children
        ):
            raise BulkQueryError(
                "The parent 'node' field for a nested connection must select the 'id' field without "
                f"an alias and must be of type 'ID'. Connection fields without 'id': {base.name}."
            )
        return base


def _has_connection(f: PlanField) -> bool:
    return f.kind == "connection" or (f.kind == "object" and any(_has_connection(c) for c in f.children))


def plan(schema: GraphQLSchema, text: str) -> PlanField:
    """The top connection of a bulk query, checked against the schema and Shopify's bulk rules."""
    try:
        document = parse(text)
    except GraphQLError as exc:
        raise BulkQueryError(f"Invalid bulk query: {exc.message}") from exc
    errors = validate(schema, document)
    if errors:
        raise BulkQueryError(f"Invalid bulk query: {errors[0].message}")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation.value != "query":
        raise BulkQueryError("Bulk queries must contain exactly one query operation.")
    planner = Planner(schema)
    roots = planner.fields(operations[0].selection_set, schema.query_type, 0)  # type: ignore[arg-type]
    if len(roots) != 1 or roots[0].kind != "connection":
        raise BulkQueryError("Bulk queries must start with exactly one connection field, e.g. productVariants.")
    return roots[0]


def bind(fields: list[PlanField], ctx: Ctx) -> None:
    """Give every field of a plan the fastest way to read it for this run: a plain getter, else its resolver."""
    for f in fields:
        getter = GETTERS.get((f.parent, f.name))
        if getter is None:
            resolve = f.definition.resolve or default_resolver
            info, args = FakeInfo(ctx, f.name, f.return_type), f.args
            getter = functools.partial(_call, resolve, info, args)
        f.fetch = getter
        bind(f.children, ctx)


def _call(resolve: Any, info: FakeInfo, args: dict[str, Any], obj: Any) -> Any:
    return resolve(obj, info, **args)


def project(obj: Any, fields: list[PlanField], nested: list[tuple[PlanField, Any]]) -> dict[str, Any]:
    """One object as Shopify writes it in JSONL; nested connections are collected, not inlined."""
    out: dict[str, Any] = {}
    is_dict = isinstance(obj, dict)
    for f in fields:
        kind = f.kind
        if kind == "connection":
            nested.append((f, obj))
            continue
        if is_dict:
            value = obj.get(f.name, _MISSING)
            if value is _MISSING:
                value = placeholder(f.return_type)
        else:
            value = f.fetch(obj)  # type: ignore[misc]
        if kind == "leaf" or value is None:
            out[f.key] = value
        elif kind == "list":
            out[f.key] = [project(item, f.children, []) for item in value]
        else:
            out[f.key] = project(value, f.children, nested)
    return out


def children(ctx: Ctx, nested: list[tuple[PlanField, Any]], parent_id: Any) -> Iterator[dict[str, Any]]:
    """Lines for the nested connections of one parent, each child followed by its own children."""
    for f, owner in nested:
        for child in LISTINGS[(f.parent, f.name)](owner, ctx, f.args).all():
            grand: list[tuple[PlanField, Any]] = []
            line = project(child, f.children, grand)
            line["__parentId"] = parent_id
            yield line
            if grand:
                yield from children(ctx, grand, line.get("id"))


def roots(ctx: Ctx, top: PlanField) -> Iterator[tuple[dict[str, Any], Iterator[dict[str, Any]]]]:
    """(root line, its children lines) for every root object; the children are produced when iterated."""
    bind(top.children, ctx)
    for obj in LISTINGS[(top.parent, top.name)](None, ctx, top.args).all():
        nested: list[tuple[PlanField, Any]] = []
        line = project(obj, top.children, nested)
        yield line, children(ctx, nested, line.get("id"))
