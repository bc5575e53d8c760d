"""Query cost as Shopify calculates it, approximately: objects 1, scalars 0, connections 2 + first × each node,
mutations 10. The requested cost is charged before execution; the actual cost (from what came back) after."""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from graphql.execution.values import get_argument_values

from sandbox.shopify.search import page_size

MUTATION_COST = 10


class CostCalculator:
    """Walks one operation of a validated document against the schema."""

    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def _fields(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType) -> list[tuple[FieldNode, Any]]:
        """Fields of a selection set with their definitions, fragments flattened."""
        out: list[tuple[FieldNode, Any]] = []
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                fields = getattr(parent, "fields", {})
                if sel.name.value in fields:
                    out.append((sel, fields[sel.name.value]))
            elif isinstance(sel, InlineFragmentNode):
                target = self.schema.type_map[sel.type_condition.name.value] if sel.type_condition else parent
                out.extend(self._fields(sel.selection_set, target))
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value in self.fragments:
                frag = self.fragments[sel.name.value]
                out.extend(self._fields(frag.selection_set, self.schema.type_map[frag.type_condition.name.value]))
        return out

    def requested(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        if operation.operation.value == "mutation":
            return MUTATION_COST * len(self._fields(operation.selection_set, root))
        return self._selection(operation.selection_set, root)

    def _selection(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType) -> int:
        total = 0
        for node, definition in self._fields(selection_set, parent):
            named = get_named_type(definition.type)
            if is_leaf_type(named):
                continue
            args = get_argument_values(definition, node, self.variables)
            if named.name.endswith("Connection") and isinstance(named, GraphQLObjectType):
                size, _ = page_size(args)
                total += 2 + size * self._connection_node(node.selection_set, named)
                continue
            inner = definition.type.of_type if is_non_null_type(definition.type) else definition.type
            count = args.get("first") or 1 if is_list_type(inner) else 1
            total += count * (1 + self._selection(node.selection_set, named))
        return total

    def _connection_node(self, selection_set: SelectionSetNode | None, connection: GraphQLObjectType) -> int:
        per_node = 0
        for node, definition in self._fields(selection_set, connection):
            named = get_named_type(definition.type)
            if node.name.value == "nodes":
                per_node += 1 + self._selection(node.selection_set, named)
            elif node.name.value == "edges":
                per_node += self._selection(node.selection_set, named)
        return per_node

    def actual(self, operation: OperationDefinitionNode, data: Any) -> int:
        root = self.schema.get_root_type(operation.operation)
        if operation.operation.value == "mutation":
            return MUTATION_COST * len(self._fields(operation.selection_set, root))
        return self._actual(operation.selection_set, root, data)

    def _actual(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType, data: Any) -> int:
        if not isinstance(data, dict):
            return 0
        total = 0
        for node, definition in self._fields(selection_set, parent):
            named = get_named_type(definition.type)
            value = data.get(node.alias.value if node.alias else node.name.value)
            if is_leaf_type(named) or value is None:
                continue
            if named.name.endswith("Connection") and isinstance(named, GraphQLObjectType):
                total += 2 + self._actual(node.selection_set, named, value)
            elif node.name.value == "pageInfo":
                continue
            elif isinstance(value, list):
                costs = [self._actual(node.selection_set, named, item) for item in value]
                if node.name.value in ("nodes", "edges"):
                    total += sum(costs) + (len(costs) if node.name.value == "nodes" else 0)
                elif costs:
                    total += 1 + max(costs)
            else:
                total += 1 + self._actual(node.selection_set, named, value)
        return total


def max_cost_error(cost: int, limit: int) -> GraphQLError:
    return GraphQLError(
        f"Query cost is {cost}, which exceeds the single query max cost limit ({limit}).\n\n"
        "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
        "cost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations "
        "should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for "
        "usage details.\n",
        extensions={
            "code": "MAX_COST_EXCEEDED",
            "cost": cost,
            "maxCost": limit,
            "documentation": "https://shopify.dev/api/usage/rate-limits",
        },
    )
