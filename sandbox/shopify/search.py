"""Shopify search syntax (`updated_at:>'2026-05-01T00:00:00Z' AND status:active`) and cursor pagination."""

from __future__ import annotations

import base64
import bisect
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError

MAX_PAGE = 250
TOKEN_RE = re.compile(r"""(-)?(?:(\w+):(>=|<=|>|<|=)?)?('[^']*'|"[^"]*"|[^\s()]+)""")


@dataclass(frozen=True, slots=True)
class Term:
    field: str | None
    op: str
    value: str
    negate: bool


def parse_query(text: str | None) -> list[list[Term]]:
    """OR-groups of AND-ed terms; parentheses are ignored (Shopify callers rarely need them)."""
    groups: list[list[Term]] = [[]]
    for match in TOKEN_RE.finditer(text or ""):
        negate, field, op, value = match.groups()
        if field is None and value in ("AND", "OR", "NOT"):
            if value == "OR" and groups[-1]:
                groups.append([])
            continue
        value = value[1:-1] if value[:1] in "'\"" and value[-1:] == value[:1] and len(value) > 1 else value
        groups[-1].append(Term(field.lower() if field else None, op or ":", value, bool(negate)))
    return [g for g in groups if g] or []


def parse_time(value: str) -> float | None:
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _compare(actual: Any, op: str, wanted: Any) -> bool:
    if actual is None:
        return False
    if op in (":", "="):
        return bool(actual == wanted)
    return bool({">": actual > wanted, ">=": actual >= wanted, "<": actual < wanted, "<=": actual <= wanted}[op])


def _term_matches(term: Term, obj: Any, fields: dict[str, Callable[[Any], Any]]) -> bool:
    if term.field is None or term.field not in fields:
        if term.field is not None:
            return True  # Shopify ignores filters it does not know
        text = fields["_text"](obj) if "_text" in fields else ""
        return term.value.lower() in text.lower()
    actual = fields[term.field](obj)
    if term.field.endswith("_at"):
        wanted = parse_time(term.value)
        return wanted is not None and _compare(actual, term.op, wanted)
    if isinstance(actual, (tuple, list)):
        return any(str(a).lower() == term.value.lower() for a in actual)
    if isinstance(actual, bool):
        return actual == (term.value.lower() == "true")
    if isinstance(actual, int):
        try:
            return _compare(actual, term.op, int(term.value))
        except ValueError:
            return False
    if actual is None:
        return term.value == "" or term.value.lower() == "null"
    actual_s, wanted_s = str(actual).lower(), term.value.lower()
    if wanted_s.endswith("*"):
        return actual_s.startswith(wanted_s[:-1])
    if term.op in (":", "="):
        return actual_s == wanted_s
    return _compare(actual_s, term.op, wanted_s)


def predicate(text: str | None, fields: dict[str, Callable[[Any], Any]]) -> Callable[[Any], bool] | None:
    """A filter for `query:`, or None when there is nothing to filter on."""
    groups = parse_query(text)
    if not groups:
        return None

    def check(obj: Any) -> bool:
        return any(all(_term_matches(t, obj, fields) != t.negate for t in group) for group in groups)

    return check


def encode_cursor(obj_id: int, value: Any) -> str:
    raw = json.dumps({"last_id": obj_id, "last_value": value}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, Any]:
    try:
        data = json.loads(base64.b64decode(cursor.encode(), validate=True))
        return int(data["last_id"]), data.get("last_value")
    except (ValueError, KeyError, TypeError) as exc:
        raise GraphQLError(
            f"Invalid cursor for current pagination sort: {cursor}", extensions={"code": "BAD_REQUEST"}
        ) from exc


@dataclass
class Listing:
    """Records in their sort order (ascending), how to key them, and an optional filter."""

    items: Sequence[Any]
    sort_value: Callable[[Any], Any] = lambda obj: obj.id
    keep: Callable[[Any], bool] | None = None
    reverse: bool = False
    wrap: Callable[[Any], Any] | None = None

    def key(self, obj: Any) -> tuple[Any, int]:
        return (self.sort_value(obj), obj.id)

    def walk(self, cursor: str | None, *, backwards: bool = False) -> Iterator[Any]:
        """Kept records strictly after `cursor` (before it when `backwards`), in listing order."""
        items, forward = self.items, self.reverse == backwards
        if cursor is None:
            indices: range = range(len(items)) if forward else range(len(items) - 1, -1, -1)
        else:
            last_id, last_value = decode_cursor(cursor)
            probe = (last_value, last_id)
            if forward:
                indices = range(bisect.bisect_right(items, probe, key=self.key), len(items))
            else:
                indices = range(bisect.bisect_left(items, probe, key=self.key) - 1, -1, -1)
        keep = self.keep
        for i in indices:
            obj = items[i]
            if keep is None or keep(obj):
                yield obj

    def all(self) -> Iterator[Any]:
        """Every kept record, wrapped (for bulk operations)."""
        wrap = self.wrap
        return (wrap(obj) for obj in self.walk(None)) if wrap else self.walk(None)

    def cursor(self, obj: Any) -> str:
        return encode_cursor(obj.id, self.sort_value(obj))


def page_size(args: dict[str, Any]) -> tuple[int, bool]:
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last", extensions={"code": "BAD_REQUEST"})
    size = first if first is not None else last
    if size < 0 or size > MAX_PAGE:
        raise GraphQLError(
            f"The maximum number of records per page is {MAX_PAGE} (got {size}).", extensions={"code": "BAD_REQUEST"}
        )
    return size, first is None


def paginate(listing: Listing, args: dict[str, Any]) -> dict[str, Any]:
    """A Relay connection over `listing` for first/after or last/before."""
    size, backwards = page_size(args)
    cursor = args.get("before") if backwards else args.get("after")
    walker = listing.walk(cursor, backwards=backwards)
    page = [obj for _, obj in zip(range(size + 1), walker, strict=False)]
    more = len(page) > size
    page = page[:size]
    if backwards:
        page.reverse()
    nodes = [listing.wrap(obj) for obj in page] if listing.wrap else page
    edges = [{"cursor": listing.cursor(obj), "node": node} for obj, node in zip(page, nodes, strict=True)]
    behind = cursor is not None and next(listing.walk(cursor, backwards=not backwards), None) is not None
    return {
        "edges": edges,
        "nodes": nodes,
        "pageInfo": {
            "hasNextPage": behind if backwards else more,
            "hasPreviousPage": more if backwards else behind,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
