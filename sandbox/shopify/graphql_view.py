"""`POST /shops/<shop>/admin/api/<version>/graphql.json`: token check, version fall-forward, fault injection, cost
and leaky bucket, execution against the real schema, and a log line per request."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Blueprint, Response, current_app, request, send_file
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    execute,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from sandbox.shopify.core import Sandbox
from sandbox.shopify.cost import CostCalculator, max_cost_error
from sandbox.shopify.faults import FaultRule
from sandbox.shopify.registry import Ctx
from sandbox.shopify.schema import default_resolver, load_schema

bp = Blueprint("shopify_api", __name__)
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
THROTTLED = {
    "message": "Throttled",
    "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
}


def sandbox() -> Sandbox:
    return current_app.extensions["shopify_sandbox"]


def serve_version(sb: Sandbox, requested: str) -> str:
    """The requested version if supported, else the oldest supported one ("falls forward", as Shopify does)."""
    supported = list(sb.config["api_versions"])
    return requested if requested in supported or requested == "unstable" else supported[0]


def reply(body: Any, status: int, version: str, **headers: str) -> Response:
    text = body if isinstance(body, str) else json.dumps(body)
    mimetype = "text/html" if isinstance(body, str) else "application/json"
    response = Response(text, status=status, mimetype=mimetype)
    response.headers["X-Shopify-API-Version"] = version
    response.headers["X-Request-Id"] = str(uuid.uuid4())
    for key, value in headers.items():
        response.headers[key.replace("_", "-")] = value
    return response


def fault_reply(rule: FaultRule, version: str) -> Response | None:
    """The answer a fault gives instead of executing, or None when the request should go on."""
    if rule.mode == "429":
        return reply(
            {
                "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume "
                "uninterrupted service."
            },
            429,
            version,
            Retry_After="2.0",
        )
    if rule.mode in ("502", "504"):
        return reply(f"<html><body><h1>{rule.mode} Gateway error</h1></body></html>", int(rule.mode), version)
    if rule.mode in ("500", "503"):
        return reply(
            {"errors": "Internal Server Error" if rule.mode == "500" else "Unavailable Shop"}, int(rule.mode), version
        )
    return None


def _root_fields(operation: OperationDefinitionNode) -> list[FieldNode]:
    return [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]


def _idempotency_keys(operation: OperationDefinitionNode, variables: dict[str, Any]) -> list[str]:
    keys = []
    for node in _root_fields(operation):
        for directive in node.directives or ():
            if directive.name.value == "idempotent":
                for arg in directive.arguments:
                    value = arg.value
                    keys.append(str(variables.get(value.name.value) if value.kind == "variable" else value.value))
    return keys


def _user_errors(data: Any) -> int:
    if not isinstance(data, dict):
        return 0
    return sum(len(v.get("userErrors") or []) for v in data.values() if isinstance(v, dict))


def _read_body() -> tuple[str | None, dict[str, Any], str | None]:
    if request.mimetype == "application/graphql":
        return request.get_data(as_text=True), {}, None
    body = request.get_json(silent=True) or {}
    return body.get("query"), body.get("variables") or {}, body.get("operationName")


@bp.post("/shops/<shop>/admin/api/<version>/graphql.json")
def graphql_endpoint(shop: str, version: str) -> Response:
    sb = sandbox()
    served = serve_version(sb, version)
    state = sb.shop(shop)
    if state is None:
        return reply({"errors": "Not Found"}, 404, served)
    token = sb.auth.lookup(request.headers.get("X-Shopify-Access-Token"))
    query, raw_variables, operation_name = _read_body()
    if token is None or token.shop != shop:
        sb.log_request({"at": sb.now(), "shop": shop, "operation_name": operation_name, "status": 401})
        return reply({"errors": INVALID_TOKEN}, 401, served)
    if not query:
        return reply({"errors": {"query": "Required parameter missing or invalid"}}, 400, served)
    entry: dict[str, Any] = {
        "at": sb.now(),
        "shop": shop,
        "client_id": token.client_id,
        "api_version": served,
        "requested_version": version,
        "operation_name": operation_name,
    }
    try:
        response = _run(sb, state, token.client_id, token.scopes, served, query, raw_variables, operation_name, entry)
    finally:
        sb.log_request(entry)
    return response


def _run(
    sb: Sandbox,
    state: Any,
    client_id: str,
    scopes: tuple[str, ...],
    version: str,
    query: str,
    raw_variables: dict[str, Any],
    operation_name: str | None,
    entry: dict[str, Any],
) -> Response:
    schema = load_schema()
    try:
        document: DocumentNode = parse(query)
    except GraphQLError as exc:
        entry["status"] = 200
        return reply({"errors": [exc.formatted]}, 200, version)
    errors = validate(schema, document)
    operation = get_operation_ast(document, operation_name) if not errors else None
    if errors or operation is None:
        entry["status"] = 200
        message = (
            f'Unknown operation named "{operation_name}".'
            if operation_name
            else "An operation name is required when a document has several operations."
        )
        errors = errors or [GraphQLError(message)]
        return reply({"errors": [e.formatted for e in errors]}, 200, version)
    entry.update(
        operation_name=operation_name or (operation.name.value if operation.name else None),
        operation_type=operation.operation.value,
        root_fields=[f.name.value for f in _root_fields(operation)],
    )
    names = tuple(n for n in (entry["operation_name"], *entry["root_fields"]) if n)
    fault = sb.faults.take("graphql", names)
    entry["fault"] = fault.mode if fault else None
    if fault is not None and (early := fault_reply(fault, version)) is not None:
        entry["status"] = early.status_code
        return early
    if fault is not None and (fault.mode == "slow" or (fault.mode == "timeout" and not fault.apply)):
        sb.stopping.wait(fault.delay_seconds)
        if fault.mode == "timeout":
            entry["status"] = 504
            return reply("<html><body><h1>504 Gateway Timeout</h1></body></html>", 504, version)
    coerced = get_variable_values(schema, operation.variable_definitions or [], raw_variables)
    if isinstance(coerced, list):
        entry["status"] = 200
        return reply({"errors": [e.formatted for e in coerced]}, 200, version)
    entry["idempotency_keys"] = _idempotency_keys(operation, raw_variables)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    calculator = CostCalculator(schema, fragments, coerced)
    try:
        requested = calculator.requested(operation)
    except GraphQLError as exc:
        entry["status"] = 200
        return reply({"errors": [exc.formatted]}, 200, version)
    entry["requested_cost"] = requested
    limit = int(sb.config["max_query_cost"])
    if requested > limit:
        entry["status"] = 200
        status = sb.limiter.refund(state.domain, client_id, 0)
        return reply(
            {
                "errors": [max_cost_error(requested, limit).formatted],
                "extensions": {
                    "cost": {"requestedQueryCost": requested, "actualQueryCost": None, "throttleStatus": status}
                },
            },
            200,
            version,
        )
    taken, bucket = (
        (False, sb.limiter.bucket(state.domain, client_id))
        if fault and fault.mode == "throttled"
        else sb.limiter.take(state.domain, client_id, requested)
    )
    if not taken:
        entry.update(status=200, throttled=True)
        return reply(
            {
                "errors": [THROTTLED],
                "extensions": {
                    "cost": {
                        "requestedQueryCost": requested,
                        "actualQueryCost": None,
                        "throttleStatus": bucket.status(),
                    }
                },
            },
            200,
            version,
        )
    ctx = Ctx(sb, state, client_id, scopes, version, _public_url(sb), fault)
    with sb.lock:
        result = execute(
            schema,
            document,
            context_value=ctx,
            variable_values=raw_variables,
            operation_name=operation_name,
            field_resolver=default_resolver,
        )
    actual = calculator.actual(operation, result.data) if result.data else 0
    throttle = sb.limiter.refund(state.domain, client_id, requested - actual)
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    body["data"] = result.data
    body["extensions"] = {
        "cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": throttle}
    }
    entry.update(status=200, actual_cost=actual, errors=len(result.errors or ()), user_errors=_user_errors(result.data))
    if fault is not None and fault.mode == "attempt_failed":
        entry["status"] = 500
        return reply({"errors": "Internal Server Error"}, 500, version)
    if fault is not None and fault.mode == "timeout":
        sb.stopping.wait(fault.delay_seconds)  # applied, but the client has long given up
    return reply(body, 200, version)


def _public_url(sb: Sandbox) -> str:
    return (sb.config.get("public_url") or request.host_url).rstrip("/")


@bp.get("/sandbox/bulk/<name>")
def bulk_result(name: str) -> Response:
    """A bulk operation's JSONL, by its unguessable URL (no token needed, like Shopify's signed URLs)."""
    sb = sandbox()
    op_id, _, rest = name.partition("-")
    op = sb.bulk.operations.get(int(op_id)) if op_id.isdigit() else None
    if op is None or rest != f"{op.token}.jsonl" or op.path is None:
        return reply({"errors": "Not Found"}, 404, "2026-07")
    fault = sb.faults.take("bulk", ("bulk",))
    if fault is not None and (early := fault_reply(fault, "2026-07")) is not None:
        return early
    return send_file(op.path, mimetype="application/jsonl", max_age=0)
