"""FBR settings of a merchant and its counters (Settings → FBR), and who reports with which token."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Counter, Merchant
from ismartsync.models.merchant import FiscalBackendKind, FiscalEnvironment
from ismartsync.services.audit import Actor, record_audit, snapshot

MERCHANT_FBR_FIELDS = ["fiscal_backend", "fiscal_environment", "default_pct_code"]
COUNTER_FBR_FIELDS = ["fbr_enabled", "fbr_pos_id"]
MAX_POS_ID = 10**18 - 1  # at most 18 digits, and it fits a BigInteger
PCT_CODE = re.compile(r"^\d{8}$", re.ASCII)  # 0–9 only: FBR reads no other digits
# A bearer token as FBR issues it (the spec's sample is a UUID): printable, no spaces.
TOKEN = re.compile(r"^[\x21-\x7e]{8,500}$")


def token_for(merchant: Merchant, counter: Counter) -> str | None:
    """The bearer token a counter's reports are sent with: its own when FBR issued one, else the merchant's."""
    return counter.fbr_token or merchant.fbr_token or None


def counter_reports_to_fbr(merchant: Merchant, counter: Counter) -> bool:
    """Whether a sale at this counter is reported: backend on, counter switched on, a POSID and a token to send."""
    return (
        merchant.fiscal_backend != FiscalBackendKind.OFF
        and counter.fbr_enabled
        and bool(counter.fbr_pos_id)
        and token_for(merchant, counter) is not None
    )


def missing_pct_code_note(merchant: Merchant, counter: Counter) -> tuple[str, str] | None:
    """What the cart says beside an item without a PCT code of its own at a counter that reports (a short mark and
    its longer explanation); None elsewhere."""
    if not counter_reports_to_fbr(merchant, counter):
        return None
    if merchant.default_pct_code:
        return "no PCT code", f"No PCT code of its own: FBR gets the default {merchant.default_pct_code}."
    return "no PCT code: not reportable", "No PCT code and no default: FBR cannot be sent this sale until one is set."


def normalise_pct_code(value: str) -> str:
    """A PCT code as FBR wants it: `9815.1000` typed as the tariff prints it becomes `98151000`."""
    return re.sub(r"[\s.]", "", value or "")


def _new_token(current: str | None, typed: str | None, remove: bool, field: str) -> str | None:
    """The token to keep: a typed one replaces it, `remove` drops it, and nothing typed keeps it."""
    typed = (typed or "").strip()
    if typed.lower().startswith("bearer "):  # pasted with the header's scheme
        typed = typed[7:].strip()
    if typed and remove:
        raise DomainError("Type a new token or remove the saved one, not both.", field=field)
    if remove:
        return None
    if not typed:
        return current
    if not TOKEN.match(typed):
        raise DomainError("Paste the token exactly as FBR issued it: 8 to 500 characters, no spaces.", field=field)
    return typed


def _token_audit(before: str | None, after: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """What the audit says about a token: whether one was saved, and what happened to it; never the token."""
    if before == after:
        return {}, {}
    happened = "removed" if after is None else ("changed" if before else "added")
    return {"token": "saved" if before else "none"}, {"token": happened}


def _counters_leaning_on_merchant_token(session: Session, merchant: Merchant) -> list[Counter]:
    return list(
        session.scalars(
            select(Counter)
            .where(Counter.merchant_id == merchant.id, Counter.fbr_enabled.is_(True), Counter.fbr_token.is_(None))
            .order_by(Counter.name)
        )
    )


def _check_merchant_settings(
    session: Session, merchant: Merchant, backend: str, environment: str, pct_code: str, token: str | None
) -> None:
    if backend not in set(FiscalBackendKind):
        raise DomainError("Choose how sales are reported.", field="fiscal_backend")
    if environment not in set(FiscalEnvironment):
        raise DomainError("Choose sandbox or production.", field="fiscal_environment")
    if backend != FiscalBackendKind.OFF and not merchant.ntn.strip():
        raise DomainError("Add your NTN in the Business profile first.", field="fiscal_backend")
    if pct_code and not PCT_CODE.match(pct_code):
        raise DomainError("A PCT code is 8 digits, e.g. 62044200 (no dot).", field="default_pct_code")
    if backend != FiscalBackendKind.OFF and not pct_code:
        # FBR requires a PCT code on every item (fbr.md §2.2): without a default, an item without its own is unsendable.
        raise DomainError(
            "Enter a default PCT code to report to FBR: it is sent for products without their own.",
            field="default_pct_code",
        )
    if token is None and merchant.fbr_token is not None:
        leaning = _counters_leaning_on_merchant_token(session, merchant)
        if leaning:
            names = ", ".join(f"{c.name} at {c.branch.name}" for c in leaning)
            raise DomainError(
                f"{names} report with this token. Give them their own token or switch them off first.",
                field="fbr_token",
            )


def update_fbr_settings(
    session: Session,
    actor: Actor,
    merchant: Merchant,
    *,
    fiscal_backend: str,
    fiscal_environment: str,
    default_pct_code: str,
    new_token: str | None = None,
    remove_token: bool = False,
) -> None:
    """Set how the merchant reports to FBR. The token is kept unless a new one is given or `remove_token` is set."""
    pct_code = normalise_pct_code(default_pct_code)
    token = _new_token(merchant.fbr_token, new_token, remove_token, "fbr_token")
    _check_merchant_settings(session, merchant, fiscal_backend, fiscal_environment, pct_code, token)
    before = snapshot(merchant, MERCHANT_FBR_FIELDS)
    token_before, token_after = _token_audit(merchant.fbr_token, token)
    merchant.fiscal_backend = FiscalBackendKind(fiscal_backend)
    merchant.fiscal_environment = FiscalEnvironment(fiscal_environment)
    merchant.default_pct_code = pct_code
    merchant.fbr_token = token
    session.flush()
    after = snapshot(merchant, MERCHANT_FBR_FIELDS)
    if before == after and not token_after:
        return  # a second press of Save: nothing changed, nothing to audit
    record_audit(
        session,
        actor,
        "settings.fbr",
        "Updated the FBR settings" + (f" (token {token_after['token']})" if token_after else ""),
        target=merchant,
        before={**before, **token_before},
        after={**after, **token_after},
    )


def _check_counter_settings(
    session: Session, merchant: Merchant, counter: Counter, enabled: bool, pos_id: int | None, token: str | None
) -> None:
    if pos_id is not None:
        if not 0 < pos_id <= MAX_POS_ID:
            raise DomainError("A POSID is a number from 1 to 18 digits, above 0.", field="fbr_pos_id")
        other = session.scalar(
            select(Counter).where(
                Counter.merchant_id == counter.merchant_id, Counter.fbr_pos_id == pos_id, Counter.id != counter.id
            )
        )
        if other is not None:
            raise DomainError(f"{other.name} at {other.branch.name} already uses POSID {pos_id}.", field="fbr_pos_id")
    if enabled and pos_id is None:
        raise DomainError("Enter the POSID FBR gave this counter to switch reporting on.", field="fbr_pos_id")
    if enabled and not (token or merchant.fbr_token):
        raise DomainError(
            "Add a token to switch reporting on: this counter's own, or the business's above.", field="fbr_token"
        )


def update_counter_fbr(
    session: Session,
    actor: Actor,
    counter: Counter,
    *,
    enabled: bool,
    pos_id: int | None,
    new_token: str | None = None,
    remove_token: bool = False,
) -> None:
    """Switch a counter's FBR reporting on or off, with its POSID and, if FBR issued one, its own token."""
    merchant = counter.merchant
    token = _new_token(counter.fbr_token, new_token, remove_token, "fbr_token")
    _check_counter_settings(session, merchant, counter, enabled, pos_id, token)
    before = snapshot(counter, COUNTER_FBR_FIELDS)
    token_before, token_after = _token_audit(counter.fbr_token, token)
    session.flush()  # anything already pending, outside the savepoint below
    try:
        with session.begin_nested():
            counter.fbr_enabled = enabled
            counter.fbr_pos_id = pos_id
            counter.fbr_token = token
            session.flush()
    except IntegrityError as exc:  # another request gave this POSID to another counter since the check
        raise DomainError(f"Another counter already uses POSID {pos_id}.", field="fbr_pos_id") from exc
    after = snapshot(counter, COUNTER_FBR_FIELDS)
    if before == after and not token_after:
        return
    record_audit(
        session,
        actor,
        "counter.fbr",
        f"Updated FBR for {counter.name} at {counter.branch.name}"
        + (f" (token {token_after['token']})" if token_after else ""),
        target=counter,
        branch_id=counter.branch_id,
        before={**before, **token_before},
        after={**after, **token_after},
    )


def fbr_status(merchant: Merchant, counter: Counter) -> str:
    """Whether this counter's sales are reported, or why not, in the words Settings → FBR shows."""
    if not counter.fbr_enabled:
        return "Not reported: FBR is off for this counter"
    if merchant.fiscal_backend == FiscalBackendKind.OFF:
        return "Not reported yet: reporting is off for the business"
    if not counter_reports_to_fbr(merchant, counter):
        return "Not reported: no token"
    return f"Reported to FBR ({merchant.fiscal_environment})"
