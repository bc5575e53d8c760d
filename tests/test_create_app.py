"""The app factory: every blueprint under ismartsync/views is registered once, the development outbox only where
it may be."""

from __future__ import annotations

import pkgutil
from importlib import import_module

from flask import Blueprint

import ismartsync.views
from ismartsync import VIEW_MODULES, create_app
from tests.conftest import make_test_config


def _blueprints_defined() -> dict[str, Blueprint]:
    found = {}
    for module in pkgutil.walk_packages(ismartsync.views.__path__, "ismartsync.views."):
        for value in vars(import_module(module.name)).values():
            if isinstance(value, Blueprint):
                found[value.name] = value
    return found


def test_every_blueprint_of_the_views_is_registered_once(app):
    defined = _blueprints_defined()
    assert set(defined) == set(app.blueprints)
    assert all(app.blueprints[name] is blueprint for name, blueprint in defined.items())
    assert len(VIEW_MODULES) == len(set(VIEW_MODULES))


def test_the_development_outbox_is_left_out_of_production(database_url):
    production = create_app(make_test_config(database_url, TESTING=False, DEBUG=False))
    assert "dev" not in production.blueprints
    assert set(production.blueprints) == set(_blueprints_defined()) - {"dev"}
