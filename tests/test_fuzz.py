"""Every route of the app, with every form and query field it reads, fed hostile values: none may answer 500.

The owner of a business with real rows (a paired counter with an open shift and a cart, a placed sale reported to
the FBR sandbox, a parked cart, staff, roles, rosters, a stock difference, …) sends each route huge and negative
numbers, NUL and other control characters, very long text, Arabic-Indic and fullwidth digits, emoji and empty
values, in its path, its query string and its form (urlencoded or JSON). Each request runs in a savepoint rolled
back after it, with the session cookies put back, so every request meets the same rows.

The fields are discovered, not listed: the literal names the view modules read from `request.args` / `.form` /
`.values`, every field of every WTForms form a view module uses, and whatever a first request to each route was
seen reading. A new route fails the test until the walk can reach it: a value for each of its path parameters,
and a first request that is not refused at the door (403, 404 or 405).
"""

from __future__ import annotations

import ast
import inspect
import logging
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as clock
from html.parser import HTMLParser
from types import ModuleType
from typing import Any
from urllib.parse import quote, urlsplit

import pyotp
import pytest
from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ismartsync.access import DEVICE_COOKIE
from ismartsync.extensions import db, limiter
from ismartsync.models import (
    Device,
    DriftStatus,
    FiscalDocument,
    ImportRun,
    MovementKind,
    Register,
    ShopifyLocation,
    StockDrift,
)
from ismartsync.services import customers, parked, roles, roster_slots, rosters
from ismartsync.services.cash.registers import current_shift
from ismartsync.services.e_receipts import receipt_token
from ismartsync.services.online_orders.invoicing import open_online_invoice
from ismartsync.services.returns.plan import ReturnItem, ReturnRequest
from ismartsync.services.returns.reasons import return_reasons, seed_return_reasons
from ismartsync.services.returns.record import record_return
from ismartsync.services.roster_slots import SlotValues
from ismartsync.services.staff import INVITE, RESET
from ismartsync.services.stock.ledger import record_movement
from ismartsync.services.stock.sync_outbox import sync_state
from ismartsync.tokens import make_token
from tests import factories
from tests.conftest import CSRF_RE
from tests.fulfilment_fixtures import make_dispatch, make_fulfilment_order
from tests.online_invoicing import make_order, report_online_orders
from tests.selling import cart_with, open_till, sell, stock_items

# Drawn requests per route beyond the fixed ones (`_explicit`): one per field it reads, within bounds.
MIN_EXAMPLES, MAX_EXAMPLES, PER_FIELD = 1, 6, 1
# What a first request may answer without the walk missing the route's body: anything but a refusal to look, or
# being sent to sign in again (the session lost: a route that ends it must be rolled back like any other).
NOT_REACHED = {403, 404, 405}
DOORS = ("/sign-in", "/device/pin", "/device/locked")
ENDS_THE_SESSION = {"sign_in.sign_out_now", "device.lock"}
EXPECTED_FIRST = {
    "webhooks.shopify": {401},  # unsigned: refused before anything else, which is the point
    "dev.outbox": {200, 404},  # only served in development
    "shopify.install": {400},  # Shopify signs this request; ours is not
    "shopify.callback": {400},
    "counter.add_line": {404},  # names no item: there is nothing to add
}

HUGE = ["2147483648", "99999999999999999999999", "9" * 400, "-2147483649", "-1", "0", "1e999", "NaN", "Infinity"]
NOT_ASCII_DIGITS = ["٣", "۳", "３", "١٢٣٤٥", "۱۲.۵", "𝟗"]
TEXT = [
    "a\x00b",
    "\x00",
    "\x01\x1f\x7f",
    "x" * 5000,
    "",
    " ",
    "😀",
    "\u202e\u200b",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "2026-02-30",
    "99999-01-01",
    "0000-00-00",
    "-1.005",
    "1.999",
    "12:61",
]
HOSTILE = HUGE + NOT_ASCII_DIGITS + TEXT
# One of each kind, for the requests every route gets.
SPREAD = ["2147483648", "a\x00b", "٣", "-99999999999999999999999", "x" * 5000, "😀\u202e\x07"]


@dataclass
class World:
    """The owner's signed-in tablet and the ids of the rows behind every route."""

    cookies: dict[str, str]
    csrf: str
    path_values: dict[str, Any]
    plausible: list[str]
    endpoint_paths: dict[tuple[str, str], Any] = field(default_factory=dict)
    # Routes only someone else reaches: their cookies and CSRF token (the code page: a sign-in waiting for it).
    sessions: dict[str, tuple[dict[str, str], str]] = field(default_factory=dict)


def _build_world(app: Flask, make_browser: Any, fbr: Any) -> World:
    merchant = factories.MerchantFactory()
    factories.enable_fbr(merchant)
    staff_roles = factories.roles_of(merchant)
    branch = factories.BranchFactory(merchant=merchant, name="Gulberg", code="GUL")
    counter = factories.CounterFactory(branch=branch, name="Counter 1")
    factories.enable_fbr(merchant, counter)
    owner = factories.UserFactory(merchant=merchant, role=staff_roles["Owner"], all_branches=True)
    cashier = factories.UserFactory(merchant=merchant, role=staff_roles["Cashier"], branches=[branch])
    invited = factories.UserFactory(
        merchant=merchant, role=staff_roles["Cashier"], password_hash=None, branches=[branch]
    )
    db.session.commit()

    browser = make_browser()
    browser.sign_in(owner)
    assert browser.post(f"/device/pair/{counter.id}", {"label": "Front"}).status_code == 303

    actor = open_till(owner, owner, counter)
    variants = stock_items(merchant, branch)
    sale = sell(actor, counter, variants[0])
    seed_return_reasons(db.session, merchant)
    returned = sell(actor, counter, variants[0])
    request = ReturnRequest("fuzz-return-1", returned.id, (ReturnItem(returned.lines[0].id, 1, "wrong_size"),))
    sale_return = record_return(db.session, actor, counter, request).sale_return
    held = cart_with(actor, counter, variants[1])
    parked.park_cart(db.session, actor, held, "Mrs Khan")
    cart = cart_with(actor, counter, variants[2])
    customer, _ = customers.add_customer(db.session, actor, "Ayesha Khan", "0300 1234567")
    method = factories.PaymentMethodFactory(merchant=merchant)
    role = roles.create_role(db.session, actor, "Stock room")
    slot = roster_slots.create_slot(db.session, actor, branch, SlotValues("Morning", clock(9), clock(15)))
    monday = rosters.week_start(date.today()) + timedelta(days=7)
    assignment = rosters.assign_member(db.session, actor, slot, monday, cashier)
    location = ShopifyLocation(merchant=merchant, shopify_id="gid://shopify/Location/1", name="Gulberg", branch=branch)
    db.session.add(location)
    report_online_orders(branch, counter)
    online_order = make_order(merchant, (variants[0], 1, 299000), branch=branch)
    online_line = [(online_order.lines[0], 1)]
    online = open_online_invoice(db.session, merchant, online_order, branch, online_line, "fuzz-dispatch")
    assert online is not None
    record_movement(db.session, variant=variants[0], branch=branch, delta=1, kind=MovementKind.OPENING)
    drift = StockDrift(
        merchant_id=merchant.id,
        variant_id=variants[0].id,
        branch_id=branch.id,
        local_quantity=10,
        unsent=0,
        shopify_on_hand=7,
        status=DriftStatus.OPEN,
        state_version=sync_state(db.session, merchant.id, variants[0].id, branch.id).version,
    )
    run = ImportRun(merchant_id=merchant.id, kind="full")
    db.session.add_all([drift, run])
    db.session.flush()
    document = db.session.scalar(select(FiscalDocument).where(FiscalDocument.sale_id == sale.id))
    register = db.session.scalar(select(Register).where(Register.counter_id == counter.id))
    assert document is not None and register is not None
    web_order = make_fulfilment_order(branch, variants[0])
    dispatch = make_dispatch(make_fulfilment_order(branch, variants[1]))
    path_values = {
        "branch_id": branch.id,
        "counter_id": counter.id,
        "user_id": cashier.id,
        "role_id": role.id,
        "sale_id": sale.id,
        "line_id": cart.lines[0].id,
        "variant_id": variants[0].id,
        "document_id": document.id,
        "drift_id": drift.id,
        "register_id": register.id,
        "shift_id": current_shift(db.session, owner).id,
        "run_id": run.id,
        "slot_id": slot.id,
        "assignment_id": assignment.id,
        "payment_method_id": method.id,
        "customer_id": customer.id,
        "return_id": sale_return.id,
        "order_id": online_order.id,
        "invoice_id": online.online_invoice_id,
        "reason_id": return_reasons(db.session, merchant.id)[0].id,
        "device_id": _device_of(counter.id),
        "day": date.today().isoformat(),
        "week": monday.isoformat(),
        "fmt": "csv",
        "filename": "js/app.js",
        "fulfilment_order_id": web_order.id,
        "dispatch_id": dispatch.id,
    }
    endpoint_paths = {
        ("receipts.receipt", "token"): receipt_token(sale),
        ("receipts.invoice_pdf", "token"): receipt_token(sale),
        ("receipts.return_receipt", "token"): receipt_token(returned),
        ("receipts.credit_note_pdf", "token"): receipt_token(returned),
        ("sign_in.accept_invite", "token"): make_token(INVITE, invited.id, None),
        ("sign_in.reset_password", "token"): make_token(RESET, owner.id, owner.password_hash),
        ("counter.recall_cart", "sale_id"): held.id,
    }
    plausible = [
        *(str(v) for v in path_values.values()),
        str(customer.id),
        str(location.id),
        str(staff_roles["Manager"].id),
        str(owner.id),
        cart.uuid,
        "1",
        "2",
        "10",
        "100.50",
        "on",
        "1234",
        factories.PIN,
        "owner@example.pk",
        "0300 1234567",
    ]
    db.session.commit()
    world = World(*_session_of(browser, "/account"), path_values, plausible, endpoint_paths)
    world.sessions["sign_in.second_factor"] = _waiting_for_a_code(make_browser(), merchant, staff_roles["Manager"])
    return world


def _session_of(browser: Any, page: str) -> tuple[dict[str, str], str]:
    """A browser's cookies, and the CSRF token on one of its pages."""
    cookies = {name: c.value for name in ("session", DEVICE_COOKIE) if (c := browser.client.get_cookie(name))}
    csrf = CSRF_RE.search(browser.get(page).get_data(as_text=True))
    assert csrf, f"no CSRF token on {page}"
    return cookies, csrf.group(1)


def _waiting_for_a_code(browser: Any, merchant: Any, role: Any) -> tuple[dict[str, str], str]:
    """A manager with two-factor on, between the password and the code."""
    manager = factories.UserFactory(merchant=merchant, role=role, all_branches=True, totp_enabled=True)
    manager.totp_secret = pyotp.random_base32()
    db.session.commit()
    response = browser.post("/sign-in", {"email": manager.email, "password": factories.PASSWORD})
    assert response.headers["Location"].endswith("/sign-in/code"), response.status_code
    return _session_of(browser, "/sign-in/code")


def _device_of(counter_id: int) -> int:
    return db.session.scalar(select(Device.id).where(Device.counter_id == counter_id))


# What the view modules read


@dataclass
class Fields:
    args: set[str] = field(default_factory=set)
    form: set[str] = field(default_factory=set)

    def __or__(self, other: Fields) -> Fields:
        return Fields(self.args | other.args, self.form | other.form)


def _constant_strings(module: ModuleType, node: ast.AST) -> list[str]:
    """The strings a `for k in …` iterates: a literal tuple, or a module constant holding one."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    if isinstance(node, ast.Name):
        value = getattr(module, node.id, None)
        if isinstance(value, (tuple, list, set, frozenset)) and all(isinstance(v, str) for v in value):
            return list(value)
    return []


def _request_part(node: ast.AST) -> str | None:
    """ "args", "form" or "values" for `request.args` etc."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "request":
        return node.attr if node.attr in ("args", "form", "values") else None
    return None


def _add(found: Fields, part: str, names: list[str]) -> None:
    if part in ("args", "values"):
        found.args.update(names)
    if part in ("form", "values"):
        found.form.update(names)


def _form_fields(form_class: type[FlaskForm], app: Flask) -> set[str]:
    with app.test_request_context():
        return {f.name for f in form_class(formdata=None, meta={"csrf": False})}


def module_fields(module: ModuleType, app: Flask) -> Fields:
    """The fields a module reads from the request by name, and the fields of the forms it uses."""
    found = Fields()
    tree = ast.parse(inspect.getsource(module))
    loops: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension) and isinstance(node.target, ast.Name):
            loops[node.target.id] = _constant_strings(module, node.iter)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            part = _request_part(node.func.value)
            if part and node.func.attr in ("get", "getlist") and node.args:
                key = node.args[0]
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    _add(found, part, [key.value])
                elif isinstance(key, ast.Name):
                    _add(found, part, loops.get(key.id, []))
        key = node.slice if isinstance(node, ast.Subscript) else None
        if key is not None and (part := _request_part(node.value)) and isinstance(key, ast.Constant):
            _add(found, part, [str(key.value)])
        if isinstance(node, ast.Compare) and any(isinstance(o, ast.In) for o in node.ops):
            part = _request_part(node.comparators[0])
            if part and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
                _add(found, part, [node.left.value])
    for value in vars(module).values():
        if inspect.isclass(value) and issubclass(value, FlaskForm) and value is not FlaskForm:
            names = _form_fields(value, app)
            found.form |= names
            found.args |= names  # a GET form (filters) reads the query string
    return found


def recording(params: type[Any], seen: set[str]) -> type[Any]:
    """The app's own parameter class, noting every name a view or form looks up (the first pass only)."""

    class Recording(params):  # type: ignore[misc, valid-type]
        def __contains__(self, key: object) -> bool:
            seen.add(str(key))
            return super().__contains__(key)

        def get(self, key: Any, default: Any = None, type: Any = None) -> Any:
            seen.add(str(key))
            return super().get(key, default, type)

        def getlist(self, key: Any, type: Any = None) -> list[Any]:
            seen.add(str(key))
            return super().getlist(key, type)

        def __getitem__(self, key: Any) -> Any:
            seen.add(str(key))
            return super().__getitem__(key)

    return Recording


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    method: str
    params: tuple[str, ...]


def all_routes(app: Flask) -> list[Route]:
    return sorted(
        (
            Route(rule.endpoint, rule.rule, method, tuple(rule.arguments))
            for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        ),
        key=lambda r: (r.rule, r.method),
    )


def _module_of(app: Flask, endpoint: str) -> ModuleType | None:
    view = inspect.unwrap(app.view_functions[endpoint])
    return sys.modules.get(view.__module__)


# Sending


class Walk:
    def __init__(self, app: Flask, world: World) -> None:
        self.app, self.world = app, world
        self.failures: list[str] = []
        self.requests = 0
        self.last_html = ""
        self.sent_to_door = False
        self.errors: list[logging.LogRecord] = []
        handler = logging.Handler()
        handler.emit = self.errors.append  # type: ignore[method-assign]
        self.handler = handler

    def path(self, route: Route, overrides: dict[str, str]) -> str:
        path = route.rule
        for name in route.params:
            real = self.world.endpoint_paths.get((route.endpoint, name)) or self.world.path_values[name]
            value = overrides.get(name, str(real))
            path = re.sub(rf"<(?:[^<>]*:)?{name}(?:\([^)]*\))?>", _quote(value), path)
        return path

    def send(
        self,
        route: Route,
        overrides: dict[str, str],
        fields: dict[str, Any],
        htmx: bool,
        query: set[str],
        as_json: bool = False,
    ) -> int:
        client = self.app.test_client()
        cookies, csrf = self.world.sessions.get(route.endpoint, (self.world.cookies, self.world.csrf))
        for name, value in cookies.items():
            client.set_cookie(name, value, domain="localhost")
        headers = {"HX-Request": "true"} if htmx else {}
        args = {k: v for k, v in fields.items() if route.method == "GET" or k in query}
        form = {k: v for k, v in fields.items() if route.method != "GET"}
        if route.method != "GET":
            form.setdefault("csrf_token", csrf)
        # A form may come as JSON too (Flask-WTF reads a JSON body as the form), its token in the header.
        body = {"json": form, "headers": {**headers, "X-CSRFToken": csrf}} if as_json else {"data": form}
        connection = db.engine
        savepoint = connection.begin_nested()
        self.errors.clear()
        try:
            body.setdefault("headers", headers)
            response = client.open(self.path(route, overrides), method=route.method, query_string=args, **body)
            status = response.status_code
            html = response.mimetype == "text/html"
            self.last_html = response.get_data(as_text=True) if html and status == 200 else ""
            where = urlsplit(response.headers.get("HX-Redirect") or response.headers.get("Location") or "").path
            self.sent_to_door = where in DOORS
            response.close()
        except Exception as exc:  # anything escaping the app is a failure to report
            status, self.errors[:] = 500, [logging.makeLogRecord({"msg": repr(exc)})]
        finally:
            savepoint.rollback()
            limiter.reset()
        self.requests += 1
        if status == 500:
            cause = "; ".join(_cause(r) for r in self.errors) or "no log"
            self.failures.append(f"{route.method} {route.rule} path={overrides} fields={fields!r:.300} → {cause}")
        return status


def _quote(value: str) -> str:
    return quote(value, safe="").replace("\\", "\\\\")


def _cause(record: logging.LogRecord) -> str:
    if record.exc_info and record.exc_info[1] is not None:
        return f"{type(record.exc_info[1]).__name__}: {str(record.exc_info[1]).splitlines()[0][:200]}"
    return record.getMessage()[:200]


class _Harvest(HTMLParser):
    """The values the app's own pages put in their forms, by field name: a valid form to spoil one field of."""

    def __init__(self, into: dict[str, set[str]]) -> None:
        super().__init__()
        self.into, self.select, self.textarea = into, "", ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name") or ""
        if tag == "input" and name and a.get("value") and name != "csrf_token":
            self.into.setdefault(name, set()).add(a["value"] or "")
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and a.get("value"):
            self.into.setdefault(self.select, set()).add(a["value"] or "")
        elif tag == "textarea":
            self.textarea = name

    def handle_endtag(self, tag: str) -> None:
        self.select = "" if tag == "select" else self.select
        self.textarea = "" if tag == "textarea" else self.textarea

    def handle_data(self, data: str) -> None:
        if self.textarea and data.strip():
            self.into.setdefault(self.textarea, set()).add(data.strip())


_hostile_value = st.one_of(st.sampled_from(HOSTILE), st.integers(min_value=-(2**70), max_value=2**70).map(str))
_any_value = st.one_of(_hostile_value, st.text(max_size=40))


@st.composite
def _form(draw: Any, names: list[str], harvest: dict[str, list[str]], plausible: list[str]) -> dict[str, Any]:
    """One request's fields: a form as the app's pages fill it in with one field spoiled, or any mix of plausible
    and hostile values, some fields left out, some sent twice."""
    mode = draw(st.sampled_from(["one", "mix"])) if names else "none"
    sent = {n: draw(st.sampled_from(harvest.get(n) or plausible)) for n in names}
    if mode == "one":
        sent[draw(st.sampled_from(names))] = draw(_hostile_value)
    elif mode == "mix":
        for n in names:
            choice = draw(st.sampled_from(["keep", "drop", "spoil", "twice"]))
            if choice == "drop":
                del sent[n]
            elif choice == "spoil":
                sent[n] = draw(_any_value)
            elif choice == "twice":
                sent[n] = [sent[n], draw(_any_value)]
    return sent


def _path_value(real: Any) -> st.SearchStrategy[str]:
    return st.sampled_from([str(real)] * 3 + HUGE[:4] + ["٣", "a\x00b", "x" * 300])


@pytest.fixture
def walk(app: Flask, make_browser: Any, fbr: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Walk]:
    monkeypatch.setitem(app.config, "SHOPIFY_API_BASE", "http://127.0.0.1:9/shops/{shop}")  # refused at once
    world = _build_world(app, make_browser, fbr)
    walk = Walk(app, world)
    logging.getLogger("ismartsync.request").addHandler(walk.handler)
    yield walk
    logging.getLogger("ismartsync.request").removeHandler(walk.handler)


@dataclass
class Discovered:
    fields: dict[Route, Fields]
    first: dict[Route, tuple[int, bool]]  # the first request's status, and whether it was sent to sign in again
    harvest: dict[str, list[str]]


def _discover(app: Flask, walk: Walk) -> Discovered:
    """Each route's fields (its module's reads and forms, and what a first request read), the status of that
    request, and the values the pages it answered put in their forms."""
    static: dict[str, Fields] = {}
    found = Discovered({}, {}, {})
    harvest: dict[str, set[str]] = {}
    auth_fields = module_fields(sys.modules["ismartsync.access"], app).form
    saved = app.request_class
    seen: set[str] = set()

    class RecordingRequest(saved):  # type: ignore[misc, valid-type]
        parameter_storage_class = recording(saved.parameter_storage_class, seen)

    app.request_class = RecordingRequest
    try:
        for route in all_routes(app):
            module = _module_of(app, route.endpoint)
            name = module.__name__ if module else ""
            if module is not None and name not in static:
                static[name] = module_fields(module, app)
            seen.clear()
            found.first[route] = (walk.send(route, {}, {}, htmx=False, query=set()), walk.sent_to_door)
            _Harvest(harvest).feed(walk.last_html)
            read = seen - {"csrf_token"}
            found.fields[route] = static.get(name, Fields()) | Fields(set(read), set(read))
            if route.method == "POST":
                found.fields[route] |= Fields(form=auth_fields)
    finally:
        app.request_class = saved
    found.harvest = {k: sorted(v) for k, v in harvest.items()}
    return found


def _unreached(app: Flask, walk: Walk, first: dict[Route, tuple[int, bool]]) -> list[str]:
    """Routes the walk cannot test: no value for a path parameter, or a first request refused at the door."""
    known = walk.world.path_values.keys() | {f"{e}:{p}" for e, p in walk.world.endpoint_paths}
    missing = sorted(
        {f"{r.endpoint}:{p}" for r in all_routes(app) for p in r.params if not {p, f"{r.endpoint}:{p}"} & known}
    )
    report = [f"give the walk a real value for the path parameter {m}" for m in missing]
    for route, (status, door) in first.items():
        allowed = EXPECTED_FIRST.get(route.endpoint)
        if door and route.endpoint not in ENDS_THE_SESSION:
            report.append(f"not reached: {route.method} {route.rule} sent the owner to sign in again")
        elif (allowed is None and status in NOT_REACHED) or (allowed is not None and status not in allowed):
            report.append(f"not reached: {route.method} {route.rule} answered {status}")
    return report


def _explicit(route: Route, names: list[str]) -> list[tuple[dict[str, str], dict[str, Any], bool, bool]]:
    """Requests every route gets: each field with each kind of hostile value (rotated over the fields, so one
    request spoils every field at once, each differently), and each path parameter spoiled."""
    examples = [
        ({}, {n: SPREAD[(i + k) % len(SPREAD)] for i, n in enumerate(names)}, k % 2 == 1, k % 3 == 2)
        for k in range(len(SPREAD) if names else 0)
    ]
    params = [({p: v for p in route.params}, {}, False, False) for v in (SPREAD[:3] if route.params else [])]
    return examples + params


def _hostile(walk: Walk, route: Route, found: Fields, harvest: dict[str, list[str]]) -> Any:
    """The hypothesis test of one route: its path, its fields and htmx or not."""
    names = sorted(found.args | found.form)
    own = {p: v for (e, p), v in walk.world.endpoint_paths.items() if e == route.endpoint}
    path_values = {**walk.world.path_values, **own}

    @settings(
        max_examples=max(MIN_EXAMPLES, min(MAX_EXAMPLES, PER_FIELD * len(names))),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        path=st.fixed_dictionaries({}, optional={p: _path_value(path_values[p]) for p in route.params}),
        sent=_form(names, harvest, walk.world.plausible),
        htmx=st.booleans(),
        as_json=st.booleans(),
    )
    def hostile(path: dict[str, str], sent: dict[str, Any], htmx: bool, as_json: bool) -> None:
        walk.send(route, path, sent, htmx, found.args, as_json=as_json and route.method != "GET")

    for path, sent, htmx, as_json in _explicit(route, names):
        hostile = example(path=path, sent=sent, htmx=htmx, as_json=as_json)(hostile)
    return hostile


def test_every_route_answers_hostile_input_without_a_500(app: Flask, walk: Walk) -> None:
    started = time.perf_counter()
    found = _discover(app, walk)
    unreached = _unreached(app, walk, found.first)
    assert not unreached, "\n".join(unreached)  # first the walk must reach every route, or it proves nothing
    for route, fields in found.fields.items():
        _hostile(walk, route, fields, found.harvest)()
    elapsed = time.perf_counter() - started
    print(f"fuzz walk: {walk.requests} requests over {len(found.fields)} routes in {elapsed:.0f} s")
    assert not walk.failures, "\n".join(walk.failures)
