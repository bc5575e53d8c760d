"""Payment types: the bank accounts and mobile wallets a merchant takes payment into, offered at the till."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import PaymentMethod, Tender
from ismartsync.phones import parse_mobile, spaced_form
from ismartsync.services.audit import Actor, record_audit, snapshot

KINDS = (Tender.BANK, Tender.WALLET)
FIELDS = ["kind", "name", "account_title", "account_number", "iban", "active"]
# A Pakistani IBAN: PK, 2 check digits, a 4-letter bank code, 16 digits of account.
PK_IBAN = re.compile(r"PK\d{2}[A-Z]{4}\d{16}", re.ASCII)  # ASCII: "٣" is a digit to \d otherwise
ACCOUNT_NUMBER = re.compile(r"[\d -]*\d[\d -]*", re.ASCII)


def iban_check_digits_match(iban: str) -> bool:
    """ISO 7064 mod 97-10 over a compact IBAN: the first four characters moved to the end, letters as 10–35."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def clean_iban(raw: str) -> str:
    """A Pakistani IBAN, compact and in capitals; "" when none was given."""
    iban = "".join(raw.split()).upper()
    if not iban:
        return ""
    if not PK_IBAN.fullmatch(iban):
        raise DomainError(
            "A Pakistani IBAN is PK, 2 check digits, a 4-letter bank code and 16 digits (24 characters).",
            field="iban",
        )
    if not iban_check_digits_match(iban):
        raise DomainError("This IBAN's check digits do not match: look for a mistyped character.", field="iban")
    return iban


def clean_account_number(kind: str, raw: str) -> str:
    """A bank account number as written (digits, spaces, dashes), or a wallet's mobile number as 03xx xxxxxxx."""
    text = " ".join(raw.split())
    if not text:
        raise DomainError("Enter the account number.", field="account_number")
    if kind == Tender.WALLET:
        mobile = parse_mobile(text)
        if mobile is None:
            raise DomainError(
                "A wallet number is a Pakistani mobile number, e.g. 0300 1234567.", field="account_number"
            )
        return spaced_form(mobile)
    if len(text) > 40 or not ACCOUNT_NUMBER.fullmatch(text):
        raise DomainError("An account number has digits, spaces and dashes only (up to 40).", field="account_number")
    return text


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _clean(
    session: Session,
    merchant_id: int,
    method_id: int | None,
    *,
    kind: str,
    name: str,
    account_number: str,
    account_title: str,
    iban: str,
) -> dict[str, str]:
    if kind not in KINDS:
        raise DomainError("Choose a bank account or a mobile wallet.", field="kind")
    name = " ".join(name.split())
    if not name:
        raise DomainError("Enter the bank or wallet name.", field="name")
    if len(name) > 80:
        raise DomainError("The name can be up to 80 characters.", field="name")
    account_title = " ".join(account_title.split())
    if len(account_title) > 120:
        raise DomainError("The account title can be up to 120 characters.", field="account_title")
    values = {
        "kind": str(kind),
        "name": name,
        "account_title": account_title,
        "account_number": clean_account_number(kind, account_number),
        "iban": clean_iban(iban),
    }
    same = session.scalars(
        select(PaymentMethod).where(
            PaymentMethod.merchant_id == merchant_id, PaymentMethod.kind == kind, PaymentMethod.id != (method_id or 0)
        )
    )
    key = (name.lower(), _digits(values["account_number"]))
    if any((m.name.lower(), _digits(m.account_number)) == key for m in same):
        raise DomainError("This account is already a payment type.", field="account_number")
    return values


def create_payment_method(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    name: str,
    account_number: str,
    account_title: str = "",
    iban: str = "",
) -> PaymentMethod:
    """Add a bank account or wallet, switched on; refuses a bad IBAN or number beside its field."""
    values = _clean(
        session,
        actor.merchant_id,
        None,
        kind=kind,
        name=name,
        account_number=account_number,
        account_title=account_title,
        iban=iban,
    )
    method = PaymentMethod(merchant_id=actor.merchant_id, active=True, **values)
    session.add(method)
    session.flush()
    record_audit(
        session,
        actor,
        "payment_method.create",
        f"Added payment type {method.label}",
        target=method,
        after=snapshot(method, FIELDS),
    )
    return method


def update_payment_method(
    session: Session,
    actor: Actor,
    method: PaymentMethod,
    *,
    kind: str,
    name: str,
    account_number: str,
    account_title: str = "",
    iban: str = "",
) -> None:
    """Change a payment type; placed sales keep the label they printed."""
    values = _clean(
        session,
        method.merchant_id,
        method.id,
        kind=kind,
        name=name,
        account_number=account_number,
        account_title=account_title,
        iban=iban,
    )
    before = snapshot(method, FIELDS)
    for key, value in values.items():
        setattr(method, key, value)
    session.flush()
    record_audit(
        session,
        actor,
        "payment_method.update",
        f"Updated payment type {method.label}",
        target=method,
        before=before,
        after=snapshot(method, FIELDS),
    )


def set_payment_method_active(session: Session, actor: Actor, method: PaymentMethod, active: bool) -> None:
    """Switch a payment type on or off at the till; it is never deleted, since sales refer to it."""
    if method.active == active:
        return
    method.active = active
    session.flush()
    record_audit(
        session,
        actor,
        "payment_method.switch_on" if active else "payment_method.switch_off",
        f"Switched {'on' if active else 'off'} payment type {method.label}",
        target=method,
        before={"active": not active},
        after={"active": active},
    )


def payment_methods_of(session: Session, merchant_id: int) -> list[PaymentMethod]:
    """Every payment type of the merchant, for the settings list: switched-on first, then by kind and name."""
    query = (
        select(PaymentMethod)
        .where(PaymentMethod.merchant_id == merchant_id)
        .order_by(PaymentMethod.active.desc(), PaymentMethod.kind, PaymentMethod.name, PaymentMethod.id)
    )
    return list(session.scalars(query))


def active_payment_methods(session: Session, merchant_id: int) -> list[PaymentMethod]:
    """The payment types the till offers: switched on, banks before wallets, then by name."""
    query = (
        select(PaymentMethod)
        .where(PaymentMethod.merchant_id == merchant_id, PaymentMethod.active.is_(True))
        .order_by(PaymentMethod.kind, PaymentMethod.name, PaymentMethod.id)
    )
    return list(session.scalars(query))
