"""Every GraphQL document the app sends is valid for the pinned Admin API version (Shopify's own schema)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    StringValueNode,
    build_client_schema,
    parse,
    validate,
    visit,
)
from graphql.language import Visitor

from ismartsync.shopify import operations
from ismartsync.shopify.version import API_VERSION

SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "shopify" / f"admin_{API_VERSION}.json.gz"
# From 2026-04 Shopify refuses these without @idempotent, though its schema cannot say so.
MUST_BE_IDEMPOTENT = {"inventoryAdjustQuantities", "inventorySetQuantities", "inventoryMoveQuantities", "refundCreate"}
NAMES = operations.names()


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    if not SCHEMA.is_file():
        pytest.fail(
            f"Shopify's {API_VERSION} schema is missing at {SCHEMA}: the operations cannot be validated. "
            "CI has ../shared beside the repository; copy it there to run this check.",
            pytrace=False,
        )
    with gzip.open(SCHEMA) as file:
        built = build_client_schema(json.load(file)["data"])
    built._validation_errors = []  # graphql-core's self-check trips over 6 harmless deprecations in Shopify's schema
    return built


def _root_fields(document: DocumentNode) -> list[FieldNode]:
    (operation,) = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]


def _bulk_inner_query(document: DocumentNode) -> str | None:
    for field in _root_fields(document):
        if field.name.value == "bulkOperationRunQuery":
            (argument,) = [a for a in field.arguments if a.name.value == "query"]
            assert isinstance(argument.value, StringValueNode), "the bulk query must be a literal string"
            return argument.value.value
    return None


def _directives(document: DocumentNode) -> list[DirectiveNode]:
    found: list[DirectiveNode] = []

    class Collect(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: object) -> None:
            found.append(node)

    visit(document, Collect())
    return found


def test_there_are_operations_to_check() -> None:
    assert {"Shop", "Locations", "ProductVariantsPage", "InventoryAdjust", "BulkVariantsQuery"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_operation_is_valid_for_the_pinned_schema(schema: GraphQLSchema, name: str) -> None:
    errors = validate(schema, parse(operations.load(name)))

    assert [e.message for e in errors] == []


@pytest.mark.parametrize("name", NAMES)
def test_file_holds_one_operation_named_like_the_file(name: str) -> None:
    document = parse(operations.load(name))

    definitions = document.definitions
    assert len(definitions) == 1, "one operation per file, no fragments beside it"
    assert isinstance(definitions[0], OperationDefinitionNode)
    assert definitions[0].name is not None and definitions[0].name.value == name


@pytest.mark.parametrize("name", [n for n in NAMES if "bulkOperationRunQuery" in operations.load(n)])
def test_bulk_inner_query_is_valid_on_its_own(schema: GraphQLSchema, name: str) -> None:
    inner = _bulk_inner_query(parse(operations.load(name)))
    assert inner is not None
    document = parse(inner)

    assert [e.message for e in validate(schema, document)] == []
    assert not [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)], "bulk: no named fragments"
    assert len(_root_fields(document)) == 1, "a bulk query starts from exactly one connection"


@pytest.mark.parametrize("name", NAMES)
def test_inventory_writes_carry_the_idempotency_placeholder(name: str) -> None:
    text = operations.load(name)
    document = parse(text)
    idempotent = [d for d in _directives(document) if d.name.value == "idempotent"]
    must = {f.name.value for f in _root_fields(document)} & MUST_BE_IDEMPOTENT

    if must:
        assert len(idempotent) == 1, f"{sorted(must)} needs @idempotent from 2026-04"
    if idempotent:
        assert text.count(operations.IDEMPOTENCY_PLACEHOLDER) == 1
        assert operations.is_idempotent(text)
    else:
        assert not operations.is_idempotent(text)


@pytest.mark.parametrize("key", ["7f1c0f5e-1d2b-4c55-9a57-2b8e2f0f6a10", 'sale "42" \\ back', "bikri-فروخت-🧾"])
def test_idempotency_key_is_inlined_as_an_escaped_literal(schema: GraphQLSchema, key: str) -> None:
    document = parse(operations.with_idempotency_key(operations.load("InventoryAdjust"), key))

    (directive,) = [d for d in _directives(document) if d.name.value == "idempotent"]
    assert isinstance(directive.arguments[0].value, StringValueNode)
    assert directive.arguments[0].value.value == key
    assert validate(schema, document) == []


def test_every_webhook_topic_we_subscribe_is_one_the_pinned_schema_knows(schema: GraphQLSchema) -> None:
    from ismartsync.services.shopify_store.subscriptions import SYNC_TOPICS
    from ismartsync.shopify.subscriptions import topic_enum

    known = set(schema.get_type("WebhookSubscriptionTopic").values)  # type: ignore[union-attr]

    assert sorted(topic_enum(t) for t in SYNC_TOPICS if topic_enum(t) not in known) == []
    assert {"ORDERS_CREATE", "FULFILLMENT_ORDERS_MOVED", "FULFILLMENTS_UPDATE"} <= {topic_enum(t) for t in SYNC_TOPICS}
