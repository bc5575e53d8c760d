"""The IMS cloud backend against the FBR sandbox: every way an attempt ends, in the classes of fbr.md §2.7."""

from __future__ import annotations

import copy
import socket

import pytest

from ismartsync.fiscal.backends import QUOTE_LIMIT, ImsCloud, classify, fbr_number_of
from ismartsync.models import AttemptOutcome
from tests.fbr_examples import EXAMPLE
from tests.sandbox_fixtures import RunningFbr

SAMPLE_TOKEN = "1298b5eb-b252-3d97-8622-a4a69d5bf818"  # the spec's sandbox token for POSID 110014 (fbr.md §2.1)


@pytest.fixture
def ims(fbr: RunningFbr) -> ImsCloud:
    return ImsCloud("sandbox", api_base=fbr.url)


def test_an_accepted_invoice_is_reported_with_fbrs_number(ims, fbr):
    answer = ims.report(EXAMPLE, token=SAMPLE_TOKEN, timeout=5)

    assert answer.outcome == AttemptOutcome.REPORTED and answer.http_status == 200
    recorded = fbr.control("GET", f"/invoices/110014/{EXAMPLE['USIN']}")
    assert answer.fbr_number == recorded["InvoiceNumber"]
    assert answer.response["Code"] == "100"
    assert recorded["body"] == EXAMPLE  # what FBR received is the request, field for field


def test_production_reports_to_the_production_path(fbr):
    fbr.control("POST", "/tokens", {"posid": 110014, "token": "live-token", "environment": "production"})

    answer = ImsCloud("production", api_base=fbr.url).report(EXAMPLE, token="live-token", timeout=5)

    assert answer.outcome == AttemptOutcome.REPORTED
    assert fbr.control("GET", "/requests")["requests"][-1]["path"] == "/imsp/v1/api/Live/PostData"


def test_fbr_down_is_unreachable_and_nothing_is_recorded(ims, fbr):
    fbr.control("POST", "/faults", {"mode": "down"})

    answer = ims.report(EXAMPLE, token=SAMPLE_TOKEN, timeout=5)

    assert (answer.outcome, answer.http_status) == (AttemptOutcome.UNREACHABLE, 503)
    assert fbr.control("GET", "/invoices")["invoices"] == []


def test_no_server_at_all_is_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe closes

    answer = ImsCloud("sandbox", api_base=f"http://127.0.0.1:{port}").report(EXAMPLE, token="t", timeout=2)

    assert answer.outcome == AttemptOutcome.UNREACHABLE
    assert "Could not connect to FBR" in answer.error


def test_a_connection_dropped_after_sending_is_unknown_not_unreachable(ims, fbr):
    fbr.control("POST", "/faults", {"mode": "down", "close": True})

    answer = ims.report(EXAMPLE, token=SAMPLE_TOKEN, timeout=5)

    # The request went out: FBR may have it, so it must not be resent blindly.
    assert answer.outcome == AttemptOutcome.UNKNOWN and answer.http_status is None


@pytest.mark.parametrize(("status", "fault"), [(401, 900901), (403, 900908)])
def test_gateway_faults_are_refused_credentials(ims, fbr, status, fault):
    fbr.control("POST", "/faults", {"mode": "gateway", "status": status})

    answer = ims.report(EXAMPLE, token=SAMPLE_TOKEN, timeout=5)

    assert (answer.outcome, answer.http_status) == (AttemptOutcome.REFUSED, status)
    assert f"fault {fault}" in answer.error
    assert answer.response["fault"]["code"] == fault


def test_an_unknown_token_and_another_posids_token_are_refused(ims, fbr):
    unknown = ims.report(EXAMPLE, token="not-a-token", timeout=5)
    other = ims.report({**EXAMPLE, "POSID": 810001}, token=SAMPLE_TOKEN, timeout=5)

    assert (unknown.outcome, unknown.http_status) == (AttemptOutcome.REFUSED, 401)
    assert "900901" in unknown.error
    assert (other.outcome, other.http_status) == (AttemptOutcome.REFUSED, 403)


def test_invalid_data_is_rejected_with_fbrs_errors(ims, fbr):
    body = copy.deepcopy(EXAMPLE)
    body["Items"][0]["PCTCode"] = "6109.10"

    answer = ims.report(body, token=SAMPLE_TOKEN, timeout=5)

    assert (answer.outcome, answer.http_status) == (AttemptOutcome.REJECTED, 200)
    assert answer.response["Code"] == "102" and answer.fbr_number is None
    assert "Code 102" in answer.error and "PCTCode" in answer.error


def test_another_4xx_is_rejected_with_fbrs_own_words(ims, fbr):
    said = {"Message": "The request is invalid.", "ModelState": {"invoice.DateTime": ["Could not convert."]}}
    fbr.control("POST", "/faults", {"mode": "down", "status": 400, "body": said})

    answer = ims.report(EXAMPLE, token=SAMPLE_TOKEN, timeout=5)

    assert (answer.outcome, answer.http_status) == (AttemptOutcome.REJECTED, 400)
    assert answer.error == (
        "FBR refused the request (HTTP 400): The request is invalid.; invoice.DateTime: Could not convert."
    )


@pytest.mark.parametrize(
    ("status", "text", "error"),
    [
        (409, '{"error": "duplicate USIN"}', "FBR refused the request (HTTP 409): duplicate USIN"),
        (
            400,
            '{"fault": {"code": 101504, "message": "Runtime Error", "description": "Bad\\nrequest\\u0000"}}',
            "FBR refused the request (HTTP 400): Runtime Error; Bad request\\x00",
        ),
        (
            422,
            "<html><head><style>h1{}</style><script>x()</script></head><body><h1>Invalid</h1> PCT</body></html>",
            "FBR refused the request (HTTP 422): Invalid PCT",
        ),
        (400, '{"Errors": ["<b>bold</b>"]}', "FBR refused the request (HTTP 400): <b>bold</b>"),
        (400, "", "FBR refused the request (HTTP 400)"),
    ],
)
def test_fbrs_words_are_quoted_on_one_line_with_control_characters_escaped(status, text, error):
    assert classify(status, text).error == error


def test_fbrs_words_are_cut_to_a_readable_length():
    error = classify(400, "why " * 1000).error

    assert error.startswith("FBR refused the request (HTTP 400): why why") and error.endswith("…")
    assert len(error) == len("FBR refused the request (HTTP 400): ") + QUOTE_LIMIT


def test_a_read_timeout_on_a_recorded_invoice_is_unknown(ims, fbr):
    fbr.control("POST", "/faults", {"mode": "timeout_after_record", "delay_ms": 1500})

    answer = ims.report(EXAMPLE, token=SAMPLE_TOKEN, timeout=0.5)

    assert answer.outcome == AttemptOutcome.UNKNOWN
    assert "did not answer in time" in answer.error
    assert len(fbr.control("GET", "/invoices")["invoices"]) == 1  # FBR has it: exactly why it is not resent


def test_a_slow_answer_within_the_timeout_is_reported(ims, fbr):
    fbr.control("POST", "/faults", {"mode": "slow", "delay_ms": 300})

    answer = ims.report(EXAMPLE, token=SAMPLE_TOKEN, timeout=3)

    assert answer.outcome == AttemptOutcome.REPORTED and answer.elapsed_ms >= 300


@pytest.mark.parametrize(
    ("status", "text", "outcome"),
    [
        (200, '{"InvoiceNumber": "9000052011142444901", "Code": "100", "Response": "ok", "Errors": null}', "reported"),
        (200, '{"FBRInvoiceNumber": 11000120181112000369, "Response": "received", "Code": "100"}', "reported"),
        (200, '{"InvoiceNumber": "Not Available", "Code": "100"}', "unknown"),
        (200, '{"InvoiceNumber": "Not Available", "Code": 102, "Errors": ["bad"]}', "rejected"),
        (200, "<html>maintenance</html>", "unknown"),
        (201, '{"InvoiceNumber": "X1", "Code": "101"}', "rejected"),
        (400, '{"error": "bad"}', "rejected"),
        (404, '{"fault": {"code": "404"}}', "refused"),
        (405, '{"fault": {"code": "404"}}', "refused"),
        (429, "slow down", "unreachable"),
        (500, "oops", "unreachable"),
        (502, "Bad Gateway", "unreachable"),
        (503, "Service Unavailable", "unreachable"),
        (504, "Gateway Timeout", "unknown"),
    ],
)
def test_answers_are_classified_by_the_success_rule(status, text, outcome):
    assert classify(status, text).outcome == outcome


def test_a_numeric_fbr_number_is_kept_as_the_string_fbr_sent():
    assert fbr_number_of({"FBRInvoiceNumber": 11000120181112000369}) == "11000120181112000369"
    assert fbr_number_of({"InvoiceNumber": "  194444FGQK  "}) == "194444FGQK"
    assert fbr_number_of({"InvoiceNumber": True}) is None
