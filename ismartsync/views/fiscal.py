"""FBR reporting: every fiscal document of a branch with its status and attempts; send again, settle by hand."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, request
from flask_login import current_user

from ismartsync.access import check_branch_visible, current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.fiscal import SendAgainForm, SettleForm
from ismartsync.inputs import page_number
from ismartsync.models import Branch, Counter, FiscalDocument, FiscalStatus, InvoiceType
from ismartsync.models.base import utcnow
from ismartsync.permissions import Effect, Permission
from ismartsync.pipelines.fbr_report import report_document
from ismartsync.services.fiscal import documents as fiscal_documents
from ismartsync.services.fiscal import listing
from ismartsync.services.sales import branches_for
from ismartsync.web.htmx import render

bp = Blueprint("fiscal", __name__, url_prefix="/fiscal")


def _overdue_since() -> Any:
    return utcnow() - timedelta(hours=int(current_app.config["FISCAL_ALERT_HOURS"]))


def _branch(branches: list[Branch]) -> Branch | None:
    """The branch asked for (404 unless the member may see it), or None for every branch they may see."""
    if raw := request.args.get("branch", ""):
        wanted = tenant_get_or_404(Branch, raw)
        if wanted.id not in {b.id for b in branches}:
            abort(404)
        return wanted
    return None


@bp.get("")
@permission_required(Permission.PAGE_REPORTS)
def documents() -> Any:
    """The reports of every branch the member may see, or of one branch (and one of its counters)."""
    branches = branches_for(db.session, current_user)
    branch = _branch(branches)
    args = {k: request.args.get(k, "").strip() for k in ("counter", "status", "q", "type")}
    context: dict[str, Any] = {"branches": branches, "branch": branch, "filters": args, "found": None}
    if branches:
        ids = (branch.id,) if branch else tuple(b.id for b in branches)
        counter = tenant_get_or_404(Counter, args["counter"]) if args["counter"] and branch else None
        if counter is not None and counter.branch_id not in ids:
            abort(404)
        filters = listing.ListingFilters(
            branch_ids=ids,
            counter_id=counter.id if counter else None,
            status=args["status"] if args["status"] in listing.STATUS_FILTERS else "",
            text=args["q"],
            invoice_type=args["type"] if args["type"] in set(InvoiceType) else "",
        )
        page = request.args.get("page", 1, page_number)
        merchant_id = current_user.merchant_id
        context |= {
            "found": listing.search_documents(db.session, merchant_id, filters, page),
            "counts": listing.status_counts(db.session, merchant_id, ids),
            "overdue": listing.overdue_in(db.session, merchant_id, ids, _overdue_since()),
            "query": {k: v for k, v in args.items() if v} | ({"branch": branch.id} if branch else {}),
        }
    return render(
        "fiscal/documents.html",
        "fiscal/_listing.html",
        **context,
        statuses=list(FiscalStatus),
        hours=current_app.config["FISCAL_ALERT_HOURS"],
    )


def _visible(document_id: int) -> FiscalDocument:
    """A document of a branch the member may see; anything else is a 404, like another tenant's."""
    document = listing.get_document(db.session, current_user.merchant_id, document_id)
    if document is None:
        abort(404)
    check_branch_visible(document.counter.branch_id)
    return document


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _document_page(document: FiscalDocument, status: int = 200, settle_form: SettleForm | None = None) -> Any:
    return render(
        "fiscal/document.html",
        "fiscal/_document.html",
        status,
        document=document,
        request_json=_pretty(document.request),
        pretty={a.id: _pretty(a.response) for a in document.attempt_log},
        settle_form=settle_form or SettleForm(formdata=None),
        send_form=SendAgainForm(formdata=None),
        can_resolve=current_user.effect(Permission.RESOLVE_FISCAL) is not Effect.BLOCKED,
    )


@bp.get("/<int:document_id>")
@permission_required(Permission.PAGE_REPORTS)
def document(document_id: int) -> Any:
    return _document_page(_visible(document_id))


@bp.post("/<int:document_id>/send")
@permission_required(Permission.PAGE_REPORTS)
@permission_required(Permission.RESOLVE_FISCAL)
def send_again(document_id: int) -> Any:
    """Queue it again with its USIN and make one attempt now, so the person sees FBR's answer."""
    found = _visible(document_id)
    if not SendAgainForm().validate_on_submit():
        abort(400)
    try:
        fiscal_documents.send_again(db.session, current_actor(), found, utcnow())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _document_page(_visible(document_id), 422)
    db.session.commit()
    timeout = float(current_app.config["FBR_INLINE_TIMEOUT_SECONDS"])
    report_document(db.session, document_id, trigger="manual", timeout=timeout)
    found = _visible(document_id)
    if found.status == FiscalStatus.REPORTED:
        flash(f"FBR answered: invoice number {found.fbr_number}.", "success")
    else:
        flash(f"FBR has not given a number yet ({found.last_error or found.status_label}).", "info")
    return _document_page(found)


@bp.post("/<int:document_id>/settle")
@permission_required(Permission.PAGE_REPORTS)
@permission_required(Permission.RESOLVE_FISCAL)
def settle(document_id: int) -> Any:
    found = _visible(document_id)
    form = SettleForm()
    if form.validate_on_submit():
        try:
            fiscal_documents.settle_by_hand(
                db.session, current_actor(), found, form.fbr_number.data or "", form.note.data or "", utcnow()
            )
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"{found.usin} now carries FBR number {found.fbr_number}.", "success")
            return _document_page(_visible(document_id))
    return _document_page(_visible(document_id), 422, form)
