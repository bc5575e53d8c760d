"""Every action that can ask for a supervisor's approval says what is being approved, in words."""

from __future__ import annotations

from string import Formatter

from flask import Flask
from sqlalchemy import inspect

from ismartsync.approvals.wording import ROWS, WORDING

# Views that check an action's permission themselves (`authorize`), beside the decorated ones.
ASKING_INSIDE = {"shifts.extend_shift", "counter.record_sale_return"}


def _asks_for(view: object) -> set[str]:
    """The action permissions a view's decorators check (page permissions never need approval)."""
    found = set()
    while view is not None:
        permission = getattr(view, "permission", None)
        if permission is not None and not permission.is_page:
            found.add(permission.value)
        view = getattr(view, "__wrapped__", None)
    return found


def test_every_endpoint_that_can_ask_for_approval_has_its_wording_and_no_other(app: Flask) -> None:
    asking = {endpoint for endpoint, view in app.view_functions.items() if _asks_for(view)} | ASKING_INSIDE
    assert sorted(asking - WORDING.keys()) == []
    assert sorted(WORDING.keys() - app.view_functions.keys()) == []


def _resolves(model: type, path: list[str]) -> bool:
    """`counter.branch.name` on Counter: each step a relationship (to its model) or an attribute."""
    for name in path:
        mapper = inspect(model)
        if name in mapper.relationships:
            model = mapper.relationships[name].mapper.class_
        elif not hasattr(model, name):
            return False
    return True


def test_every_worded_sentence_names_only_what_its_rows_have(app: Flask) -> None:
    models = dict(ROWS.values())
    for endpoint, entry in WORDING.items():
        if not isinstance(entry, str):
            continue
        [rule] = app.url_map.iter_rules(endpoint)
        named = {ROWS[arg][0] for arg in rule.arguments if arg in ROWS}
        for _, field, _, _ in Formatter().parse(entry):
            if field:
                row, *path = field.split(".")
                assert row in named, (endpoint, field)
                assert _resolves(models[row], path), (endpoint, field)
