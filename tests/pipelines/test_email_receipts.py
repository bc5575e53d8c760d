"""An e-receipt email, delivered by the email job over SMTP with the tax invoice rendered and attached."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import EmailStatus, OutgoingEmail
from ismartsync.services.audit import Actor
from ismartsync.services.e_receipts import email_receipt, receipt_token
from jobs.email import deliver_email
from tests.documents import fixtures
from tests.documents.fixtures import FBR_NUMBER, fiscal_of, report
from tests.documents.pdf import pdf_qr_codes, pdf_text
from tests.markup import text_of
from tests.pipelines.test_email import smtp_server  # noqa: F401

seller, till, items, sale = fixtures.seller, fixtures.till, fixtures.items, fixtures.sale


@pytest.fixture
def smtp(app, monkeypatch, smtp_server):  # noqa: F811
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{smtp_server.server_address[1]}")
    return smtp_server


def _email_it(browser, cashier, sale, address: str = "ayesha@example.pk") -> OutgoingEmail:
    browser.sign_in(cashier)
    response = browser.post(f"/sales/{sale.id}/receipt-email", {"email": address}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    return db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.to_address == address)).one()


def test_the_email_arrives_with_the_link_and_the_invoice_pdf(browser, cashier, sale, smtp, run_jobs):
    report(sale)
    email = _email_it(browser, cashier, sale)
    run_jobs("email")
    [message] = smtp.messages
    assert message["To"] == "ayesha@example.pk"
    assert str(make_header(decode_header(message["Subject"]))) == f"Your receipt from Zari · {sale.usin}"
    body, attachment = message.get_payload()
    assert f"/r/{receipt_token(sale)}" in body.get_payload(decode=True).decode()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{sale.usin}.pdf"
    pdf = attachment.get_payload(decode=True)
    text = pdf_text(pdf)
    assert f"USIN {sale.usin}" in text and f"FBR invoice number {FBR_NUMBER}" in text
    assert "CNIC •••••-••••567-1" in text and "35202-1234567-1" not in text  # an email gets forwarded too
    assert pdf_qr_codes(pdf) == [FBR_NUMBER]
    db.session.expire_all()
    assert db.session.get(OutgoingEmail, email.id).status == EmailStatus.SENT


def test_the_invoice_is_rendered_when_the_email_is_sent(cashier, sale, smtp):
    """Queued while FBR had not answered, sent after it did: the attachment carries the number."""
    email = email_receipt(db.session, Actor(cashier), sale, "ayesha@example.pk", "http://localhost/r/x").email
    fiscal = fiscal_of(sale)
    fiscal.fbr_number = FBR_NUMBER
    db.session.flush()  # not committed: the test delivers it by hand, as the worker would
    deliver_email(email.id)
    attachment = smtp.messages[-1].get_payload()[1]
    assert FBR_NUMBER in pdf_text(attachment.get_payload(decode=True))


def test_an_attachment_of_another_merchants_sale_is_never_rendered(app, sale, other_merchant, smtp):
    email = OutgoingEmail(
        merchant_id=other_merchant.id,
        to_address="curious@example.pk",
        subject="Hello",
        body_text="Hello",
        attachments=[{"kind": "sale_invoice", "sale_id": sale.id, "filename": "x.pdf"}],
    )
    db.session.add(email)
    db.session.commit()
    with pytest.raises(LookupError):
        deliver_email(email.id)
    assert smtp.messages == []
    db.session.expire_all()
    failed = db.session.get(OutgoingEmail, email.id)
    assert failed.status == EmailStatus.FAILED and "not the merchant's placed sale" in failed.last_error


def test_the_dev_outbox_lists_the_attachment_as_the_customer_gets_it(browser, cashier, client, sale, run_jobs):
    email = _email_it(browser, cashier, sale)
    run_jobs("email")
    card = client.get("/dev/outbox").get_data(as_text=True)
    assert f"Attached: {sale.usin}.pdf" in text_of(card, f"email-{email.id}")
    pdf = client.get(f"/r/{receipt_token(sale)}/invoice.pdf")
    assert f'href="/r/{receipt_token(sale)}/invoice.pdf"' in card
    assert pdf.status_code == 200 and sale.usin in pdf_text(pdf.get_data())
