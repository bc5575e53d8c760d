"""The FBR sandbox answers like IMS POS (fbr.md §2): the §2.8 example, recorded USINs, strict validation, faults."""

from __future__ import annotations

import argparse
import copy
import json
import re
import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from sandbox.fbr import create_fbr_sandbox_app
from sandbox.fbr.state import SAMPLE_TOKEN
from tests.fbr_examples import CREDIT_NOTE, EXAMPLE

SANDBOX_PATH = "/FBR/v1/api/Live/PostData"
PRODUCTION_PATH = "/imsp/v1/api/Live/PostData"
LOCAL_PATH = "/api/IMSFiscal/GetInvoiceNumberByModel"
AUTH = {"Authorization": f"Bearer {SAMPLE_TOKEN}"}


@pytest.fixture
def fbr() -> FlaskClient:
    return create_fbr_sandbox_app().test_client()


def example(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE)
    body.update(changes)
    return body


def post(client: FlaskClient, body: Any, path: str = SANDBOX_PATH, headers: dict[str, str] | None = None) -> Any:
    return client.post(path, json=body, headers=AUTH if headers is None else headers)


def rejected(response: Any, fragment: str) -> None:
    assert response.status_code == 200
    data = response.get_json()
    assert data["Code"] == "102", data
    assert data["InvoiceNumber"] == "Not Available"
    assert data["Response"] == "Invalid data received"
    assert any(fragment in e for e in data["Errors"]), data["Errors"]


def test_example_payload_gets_a_fiscal_number(fbr: FlaskClient) -> None:
    response = post(fbr, EXAMPLE)

    assert response.status_code == 200
    data = response.get_json()
    assert data["Code"] == "100"
    assert data["Response"] == "Fiscal Invoice Number generated successfully."
    assert data["Errors"] is None
    assert re.fullmatch(r"110014\d{14}", data["InvoiceNumber"])
    recorded = fbr.get("/control/invoices?posid=110014").get_json()["invoices"]
    assert [(i["USIN"], i["InvoiceNumber"]) for i in recorded] == [(EXAMPLE["USIN"], data["InvoiceNumber"])]
    assert recorded[0]["body"] == EXAMPLE


def test_same_usin_twice_gets_the_same_number_and_a_new_usin_another(fbr: FlaskClient) -> None:
    first = post(fbr, EXAMPLE).get_json()["InvoiceNumber"]
    again = post(fbr, EXAMPLE).get_json()["InvoiceNumber"]
    other = post(fbr, example(USIN="ISS-LHR1-C2-000124")).get_json()["InvoiceNumber"]

    assert again == first != other
    invoices = fbr.get("/control/invoices").get_json()["invoices"]
    assert len(invoices) == 2
    assert len(invoices[0]["repeats"]) == 1


def test_production_path_and_local_component(fbr: FlaskClient) -> None:
    fbr.post("/control/tokens", json={"posid": 200001, "token": "prod-token", "environment": "production"})

    prod = post(fbr, example(POSID=200001), PRODUCTION_PATH, {"Authorization": "Bearer prod-token"})
    local = post(fbr, example(POSID=300001), LOCAL_PATH, {})

    assert prod.get_json()["Code"] == "100"
    assert local.get_json()["Code"] == "100"
    assert fbr.get("/api/IMSFiscal/Get").get_json() == ["Service is responding"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"POSID": "110014"}, "POSID: must be a JSON integer"),
        ({"TotalSaleValue": "3400.00"}, "TotalSaleValue: must be a JSON number"),
        ({"PaymentMode": True}, "PaymentMode: must be a JSON integer"),
        ({"USIN": None}, "USIN: is required"),
        ({"USIN": "X" * 51}, "USIN: longer than 50"),
        ({"DateTime": "15/09/2025 14:05"}, "DateTime: must be 'yyyy-MM-dd HH:mm:ss'"),
        ({"BuyerCNIC": "35202-1234567-1"}, "BuyerCNIC"),
        ({"PaymentMode": 7}, "PaymentMode: 7 is not one of"),
        ({"InvoiceType": 4}, "InvoiceType: 4 is not one of"),
        ({"Items": []}, "Items: at least one item"),
        ({"TotalSaleValue": 3400.02}, "TotalSaleValue: 3400.02 is not the sum"),
        ({"TotalTaxCharged": 600.0}, "TotalTaxCharged"),
        ({"TotalQuantity": 2}, "TotalQuantity"),
        ({"TotalBillAmount": 4000.0}, "TotalBillAmount"),
        ({"Discount": 0.0}, "Discount"),
        ({"InvoiceNumber": "123"}, "InvoiceNumber: must be empty"),
        ({"usin": "lowercase"}, "usin: unknown field (field names are PascalCase: USIN)"),
    ],
)
def test_header_rules(fbr: FlaskClient, change: dict[str, Any], fragment: str) -> None:
    body = example(**change)
    if "USIN" in change and change["USIN"] is None:
        del body["USIN"]
    rejected(post(fbr, body), fragment)
    assert fbr.get("/control/invoices").get_json()["invoices"] == []


def test_missing_required_field(fbr: FlaskClient) -> None:
    body = example()
    del body["TotalBillAmount"]
    rejected(post(fbr, body), "TotalBillAmount: is required")


def test_totals_within_a_paisa_pass(fbr: FlaskClient) -> None:
    assert post(fbr, example(TotalSaleValue=3400.009)).get_json()["Code"] == "100"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"PCTCode": "6109.1000"}, "PCTCode"),
        ({"PCTCode": "610910001"}, "PCTCode"),
        ({"PCTCode": "6109"}, "PCTCode"),
        ({"PCTCode": 61091000}, "PCTCode: must be a JSON string"),
        ({"Quantity": "2"}, "Quantity: must be a JSON number"),
        ({"InvoiceType": 2}, "Items[0].InvoiceType: 2 is not one of"),
        ({"InvoiceType": 3}, "does not match header InvoiceType 1"),
        ({"TotalAmount": 2200.0, "SaleValue": 1858.0}, "TotalAmount"),
        ({"ItemName": ""}, "Items[0].ItemName: is required"),
    ],
)
def test_item_rules(fbr: FlaskClient, change: dict[str, Any], fragment: str) -> None:
    body = example()
    body["Items"][0].update(change)
    rejected(post(fbr, body), fragment)


def test_body_that_is_not_json_is_rejected(fbr: FlaskClient) -> None:
    response = fbr.post(SANDBOX_PATH, data="not json", headers={**AUTH, "Content-Type": "application/json"})
    rejected(response, "not valid JSON")


def test_credit_note_needs_a_recorded_ref_usin(fbr: FlaskClient) -> None:
    rejected(post(fbr, CREDIT_NOTE), "RefUSIN: 'ISS-LHR1-C2-000123' is not an invoice recorded for POSID 110014")
    no_ref = copy.deepcopy(CREDIT_NOTE)
    no_ref["RefUSIN"] = None
    no_ref["Items"][0]["RefUSIN"] = None
    rejected(post(fbr, no_ref), "a credit note (InvoiceType 3) must give")

    assert post(fbr, EXAMPLE).get_json()["Code"] == "100"
    credit = post(fbr, CREDIT_NOTE).get_json()

    assert credit["Code"] == "100"
    assert credit["InvoiceNumber"] != "Not Available"


def test_credit_note_ref_usin_is_per_posid(fbr: FlaskClient) -> None:
    fbr.post("/control/tokens", json={"posid": 110015, "token": "other"})
    assert post(fbr, example(POSID=110015), headers={"Authorization": "Bearer other"}).get_json()["Code"] == "100"

    rejected(post(fbr, CREDIT_NOTE), "not an invoice recorded for POSID 110014")


def test_gateway_faults(fbr: FlaskClient) -> None:
    fbr.post("/control/tokens", json={"posid": 110015, "token": "other"})

    missing = post(fbr, EXAMPLE, headers={})
    invalid = post(fbr, EXAMPLE, headers={"Authorization": "Bearer nope"})
    other_posid = post(fbr, EXAMPLE, headers={"Authorization": "Bearer other"})
    wrong_env = post(fbr, EXAMPLE, PRODUCTION_PATH)

    assert (missing.status_code, missing.get_json()["fault"]["code"]) == (401, 900902)
    assert (invalid.status_code, invalid.get_json()["fault"]["code"]) == (401, 900901)
    assert (other_posid.status_code, other_posid.get_json()["fault"]["code"]) == (403, 900908)
    assert (wrong_env.status_code, wrong_env.get_json()["fault"]["code"]) == (403, 900908)
    assert fbr.get("/control/invoices").get_json()["invoices"] == []
    assert fbr.get(SANDBOX_PATH).status_code == 405


def test_fault_down_answers_503_without_recording(fbr: FlaskClient) -> None:
    fbr.post("/control/faults", json={"mode": "down", "count": 2})

    assert fbr.get("/api/IMSFiscal/Get").status_code == 503
    statuses = [post(fbr, EXAMPLE).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert len(fbr.get("/control/invoices").get_json()["invoices"]) == 1


def test_fault_slow_delays_then_answers(fbr: FlaskClient) -> None:
    fbr.post("/control/faults", json={"mode": "slow", "delay_ms": 200})

    started = time.monotonic()
    response = post(fbr, EXAMPLE)

    assert time.monotonic() - started >= 0.2
    assert response.get_json()["Code"] == "100"


def test_fault_timeout_after_record_records_first(fbr: FlaskClient) -> None:
    fbr.post("/control/faults", json={"mode": "timeout_after_record", "delay_ms": 300})

    started = time.monotonic()
    first = post(fbr, EXAMPLE).get_json()["InvoiceNumber"]
    assert time.monotonic() - started >= 0.3
    log = fbr.get("/control/requests").get_json()["requests"]

    assert log[0]["fault"] == "timeout_after_record"
    assert log[0]["code"] == "100"
    assert post(fbr, EXAMPLE).get_json()["InvoiceNumber"] == first


def test_fault_gateway_and_target(fbr: FlaskClient) -> None:
    fbr.post("/control/faults", json={"mode": "gateway", "status": 403, "target": "cloud"})

    assert post(fbr, example(POSID=300001), LOCAL_PATH, {}).get_json()["Code"] == "100"
    forced = post(fbr, EXAMPLE)

    assert (forced.status_code, forced.get_json()["fault"]["code"]) == (403, 900908)
    assert post(fbr, EXAMPLE).status_code == 200


def test_fault_probability_with_seed_is_repeatable(fbr: FlaskClient) -> None:
    def run() -> list[int]:
        fbr.post("/control/reset")
        fbr.post("/control/faults", json={"mode": "down", "count": 100, "probability": 0.5, "seed": 7})
        return [post(fbr, example(USIN=f"U-{i}")).status_code for i in range(12)]

    first = run()

    assert first == run()
    assert {200, 503} == set(first)


def test_control_rejects_bad_input_and_reset_forgets(fbr: FlaskClient) -> None:
    assert fbr.post("/control/faults", json={"mode": "explode"}).status_code == 400
    assert fbr.post("/control/faults", json={"mode": "gateway", "status": 500}).status_code == 400
    assert fbr.post("/control/tokens", json={"posid": "x", "token": "t"}).status_code == 400
    post(fbr, EXAMPLE)
    fbr.post("/control/faults", json={"mode": "slow"})

    fbr.post("/control/reset")

    state = fbr.get("/control/state").get_json()
    assert state["invoices"] == 0
    assert state["faults"] == []
    assert [t["posid"] for t in state["tokens"]] == [110014]


def test_fault_down_with_close_drops_the_connection(make_fbr_sandbox) -> None:
    """On a real (loopback) server `close` drops the connection: the client sees no HTTP answer at all."""
    import http.client

    from tests.sandbox_fixtures import http as plain_http

    running = make_fbr_sandbox()
    running.control("POST", "/faults", {"mode": "down", "close": True})

    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        plain_http("POST", running.cloud_url, EXAMPLE, AUTH, timeout=5)
    answer = plain_http("POST", running.cloud_url, EXAMPLE, AUTH, timeout=5)

    assert answer.json()["Code"] == "100"
    assert len(running.control("GET", "/invoices")["invoices"]) == 1


def test_recorded_invoice_keeps_the_exact_request_text(fbr: FlaskClient) -> None:
    raw = json.dumps(EXAMPLE, indent=1)  # whitespace and order as the client sent them

    fbr.post(SANDBOX_PATH, data=raw, headers={**AUTH, "Content-Type": "application/json"})

    invoice = fbr.get(f"/control/invoices/110014/{EXAMPLE['USIN']}").get_json()
    assert invoice["raw"] == raw
    assert invoice["mode"] == "cloud"
    assert invoice["environment"] == "sandbox"
    assert fbr.get("/control/invoices/110014/NOPE").status_code == 404


def test_debit_note_and_item_ref_usin_rules(fbr: FlaskClient) -> None:
    rejected(post(fbr, example(USIN="DN-1", InvoiceType=2, RefUSIN="UNKNOWN")), "'UNKNOWN' is not an invoice recorded")
    credit = copy.deepcopy(CREDIT_NOTE)
    credit["Items"][0]["RefUSIN"] = "SOMETHING-ELSE"
    rejected(post(fbr, credit), "Items[0].RefUSIN: 'SOMETHING-ELSE' differs from the header RefUSIN")
    new_item_on_credit = copy.deepcopy(CREDIT_NOTE)
    new_item_on_credit["Items"][0]["InvoiceType"] = 1
    rejected(post(fbr, new_item_on_credit), "does not match header InvoiceType 3")


def test_one_token_serves_every_posid_registered_for_it(fbr: FlaskClient) -> None:
    """FBR issues a bearer token per taxpayer and a POSID per counter: one token fiscalizes for several counters."""
    merchant = {"Authorization": "Bearer merchant-token"}
    fbr.post("/control/tokens", json={"posid": 810001, "token": "merchant-token"})
    fbr.post("/control/tokens", json={"posids": [810002, 810003], "token": "merchant-token"})

    numbers = [post(fbr, example(POSID=p), headers=merchant).get_json()["InvoiceNumber"] for p in (810001, 810003)]
    unregistered = post(fbr, example(POSID=810004), headers=merchant)
    sample_posid = post(fbr, EXAMPLE, headers=merchant)

    assert [n[:6] for n in numbers] == ["810001", "810003"]
    assert (unregistered.status_code, unregistered.get_json()["fault"]["code"]) == (403, 900908)
    assert (sample_posid.status_code, sample_posid.get_json()["fault"]["code"]) == (403, 900908)
    tokens = fbr.get("/control/tokens").get_json()["tokens"]
    assert [t["posid"] for t in tokens if t["token"] == "merchant-token"] == [810001, 810002, 810003]


def test_a_token_belongs_to_one_environment(fbr: FlaskClient) -> None:
    fbr.post("/control/tokens", json={"posids": [810001, 810002], "token": "t-sbx"})

    refused = fbr.post("/control/tokens", json={"posid": 810003, "token": "t-sbx", "environment": "production"})
    on_production = post(fbr, example(POSID=810001), PRODUCTION_PATH, {"Authorization": "Bearer t-sbx"})

    assert refused.status_code == 400 and "sandbox environment" in refused.get_json()["error"]
    assert (on_production.status_code, on_production.get_json()["fault"]["code"]) == (403, 900908)
    assert fbr.post("/control/tokens", json={"posids": [], "token": "t-sbx"}).status_code == 400


def test_command_line_token_takes_several_posids() -> None:
    from sandbox.fbr.__main__ import token_specs

    specs = token_specs("810001,810002:demo-token") + token_specs("900001:prod-token:production")
    app = create_fbr_sandbox_app({"tokens": specs}).test_client()

    assert specs[0] == {"posid": 810001, "token": "demo-token", "environment": "sandbox"}
    for posid in (810001, 810002):
        assert post(app, example(POSID=posid), headers={"Authorization": "Bearer demo-token"}).status_code == 200
    prod = post(app, example(POSID=900001), PRODUCTION_PATH, {"Authorization": "Bearer prod-token"})
    assert prod.get_json()["Code"] == "100"
    for bad in ("810001", "81x:t", "810001:t:staging", ":t"):
        with pytest.raises(argparse.ArgumentTypeError):
            token_specs(bad)


def test_credit_notes_take_back_no_more_of_an_item_than_the_invoice_sold_counting_earlier_ones(
    fbr: FlaskClient,
) -> None:
    assert post(fbr, EXAMPLE).get_json()["Code"] == "100"  # sold 2 of TS-001 (and other items)
    assert post(fbr, CREDIT_NOTE).get_json()["Code"] == "100"  # 1 back
    assert post(fbr, CREDIT_NOTE).get_json()["Code"] == "100"  # the same USIN again: checked as its first send was
    second = copy.deepcopy(CREDIT_NOTE)
    second["USIN"] = "ISS-LHR1-C2-CN-000008"
    assert post(fbr, second).get_json()["Code"] == "100"  # the second one back
    third = copy.deepcopy(second)
    third["USIN"] = "ISS-LHR1-C2-CN-000009"
    rejected(post(fbr, third), "Items: 'TS-001' credited 3 in all, more than the 2 sold on 'ISS-LHR1-C2-000123'")
    stranger = copy.deepcopy(third)
    stranger["Items"][0]["ItemCode"] = "NOT-SOLD"
    rejected(post(fbr, stranger), "Items: 'NOT-SOLD' is not an item of invoice 'ISS-LHR1-C2-000123'")
