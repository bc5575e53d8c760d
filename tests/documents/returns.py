"""A return of the documents' sale (tests/documents/fixtures.py), recorded at its counter as a cashier would with a
manager's approval: what the credit note, the sale page and FBR reporting tests read back."""

from __future__ import annotations

import uuid

from ismartsync.extensions import db
from ismartsync.models import FiscalDocument, FiscalStatus, Sale, SaleReturn
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor
from ismartsync.services.fiscal.documents import document_of_return
from ismartsync.services.returns.plan import ReturnItem, ReturnRequest
from ismartsync.services.returns.reasons import seed_return_reasons
from ismartsync.services.returns.record import record_return

CREDIT_NOTE_FBR_NUMBER = "812345FBKP2194812999"


def return_lines(till, manager, counter, sale: Sale, *lines: tuple[int, int, str]) -> SaleReturn:
    """Return (line index, quantity, reason code) of `sale` at `counter`, refunded to its tenders with the reference
    the cashier types for each card, bank or wallet payment (`refund_reference`); committed."""
    seed_return_reasons(db.session, sale.merchant)
    actor = Actor(till.user, branch_id=till.branch_id, counter_id=till.counter_id, approver=manager)
    items = tuple(ReturnItem(sale.lines[i].id, q, reason) for i, q, reason in lines)
    references = {p.id: refund_reference(p.id) for p in sale.payments}
    request = ReturnRequest(uuid=str(uuid.uuid4()), sale_id=sale.id, items=items, references=references)
    done = record_return(db.session, actor, counter, request)
    db.session.commit()
    return done.sale_return


def refund_reference(sale_payment_id: int) -> str:
    """The reference the terminal's slip gives a refund to the sale's payment `sale_payment_id`."""
    return f"RRN 70{sale_payment_id:04d}"


def report_credit_note(sale_return: SaleReturn, number: str = CREDIT_NOTE_FBR_NUMBER) -> FiscalDocument:
    """FBR answered the return's credit note with `number`."""
    document = document_of_return(db.session, sale_return.id)
    assert document is not None
    document.status, document.fbr_number, document.reported_at = FiscalStatus.REPORTED, number, utcnow()
    db.session.commit()
    return document
