"""The A4 credit note PDF, read back as its reader sees it: the title, both USINs, both FBR numbers, the lines and
their reasons, the money back per tender, and its own QR once FBR has answered."""

from __future__ import annotations

from ismartsync.documents.credit_notes import credit_note_filename, credit_note_pdf
from ismartsync.extensions import db
from ismartsync.models import SaleReturn
from ismartsync.services.fiscal.documents import document_of_return, document_of_sale
from tests.documents.fixtures import FBR_NUMBER, report
from tests.documents.pdf import pdf_qr_codes, pdf_text
from tests.documents.returns import CREDIT_NOTE_FBR_NUMBER, refund_reference, report_credit_note, return_lines


def _credit_note(sale_return: SaleReturn, *, masked: bool = False) -> bytes:
    db.session.expire_all()  # read back what was committed, as a request would
    found = db.session.get(SaleReturn, sale_return.id)
    fiscal = document_of_return(db.session, found.id)
    return credit_note_pdf(found, fiscal, document_of_sale(db.session, found.sale_id), masked=masked)


def _in_order(text: str, *parts: str) -> None:
    at = 0
    for part in parts:
        assert part in text[at:], f"{part!r} not after position {at} in {text!r}"
        at = text.index(part, at) + len(part)


def _card_reference(sale) -> str:
    return refund_reference(next(p.id for p in sale.payments if p.tender == "card"))


def test_a_reported_credit_note_prints_both_documents_and_its_own_qr(sale, till, manager, counter):
    report(sale)
    sale_return = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    report_credit_note(sale_return)
    pdf = _credit_note(sale_return)
    text = pdf_text(pdf)
    assert sale_return.usin != sale.usin
    _in_order(
        text,
        "Zari Textiles (Private) Limited",
        "NTN 1234567-8 · STRN 3277876127954",
        "Credit Note",
        f"Credit note no. {sale_return.number}",
        f"USIN {sale_return.usin}",
        "POSID 810001",
        f"FBR number {CREDIT_NOTE_FBR_NUMBER}",
        f"Against tax invoice no. {sale.number}",
        f"USIN {sale.usin}",
        f"FBR invoice no. {FBR_NUMBER}",
        "Returned at Gulberg",
        "Buyer Ayesha Khan NTN 7654321-0 CNIC 35202-1234567-1 Phone 03001234567",
        # The Rs 2,990 line: Rs 2,533.90 excluding tax and Rs 456.10 tax, as the invoice printed it.
        "1 Rs 2,533.90 18% Rs 456.10 Rs 2,990 Wrong size restocked",
        # Card first (what it paid), with the reference of its refund; cash last.
        f"Money back Card ref. {_card_reference(sale)} Rs 2,000 Cash Rs 990",
        f"FBR number of this credit note {CREDIT_NOTE_FBR_NUMBER}",
        "Value returned excl. tax Rs 2,533.90",
        "Sales tax credited Rs 456.10",
        "Total credited Rs 2,990",
    )
    assert "Not yet reported" not in text
    assert pdf_qr_codes(pdf) == [CREDIT_NOTE_FBR_NUMBER]


def test_before_fbr_answers_it_says_not_yet_reported_and_has_no_qr(sale, till, manager, counter):
    sale_return = return_lines(till, manager, counter, sale, (1, 1, "defective"))
    pdf = _credit_note(sale_return)
    text = pdf_text(pdf)
    assert "FBR number Not yet reported to FBR" in text
    assert "FBR invoice no. not yet reported to FBR" in text  # the sale is not reported either
    assert "Not yet reported to FBR The return is recorded" in text
    assert "Defective not sellable" in text
    assert pdf_qr_codes(pdf) == []
    report_credit_note(sale_return)
    assert pdf_qr_codes(_credit_note(sale_return)) == [CREDIT_NOTE_FBR_NUMBER]


def test_the_shared_copy_masks_the_buyers_cnic_and_phone(sale, till, manager, counter):
    sale_return = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    text = pdf_text(_credit_note(sale_return, masked=True))
    assert "CNIC •••••-•••••••-1" not in text or "35202-1234567-1" not in text
    assert "35202-1234567-1" not in text and "03001234567" not in text
    assert credit_note_filename(sale_return) == f"credit-note-{sale_return.usin}.pdf"
