"""The figures of the X report (a shift or register mid-way), the Z report (closed) and the day close.

Read from the sales, payments, cash logs and audit entries themselves, not from the shift's running figures, so a
report checks the counter's bookkeeping instead of repeating it (`tests/services/test_drawer_reports.py` holds both
to the same hand-computed day).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismartsync.models import (
    AuditEntry,
    CashDirection,
    CashLog,
    Register,
    Sale,
    SalePayment,
    SaleStatus,
    Shift,
    Tender,
)
from ismartsync.models.base import utcnow

# What the Z report lists as the shift's exceptions: voids, overrides and everything a supervisor approved.
EXCEPTION_ACTIONS = (
    "cart.remove_line",
    "cart.discard",
    "cart.price_override",
    "cart.discount_approved",
    "approval",
    "cash.in",
    "cash.out",
    "shift.extend",
)


@dataclass(frozen=True)
class TenderTotal:
    tender: str
    label: str
    count: int
    amount_minor: int


@dataclass
class DrawerFigures:
    """One drawer's money over a span: a shift, a register's shifts, or a branch's day."""

    opening_minor: int = 0
    sales_count: int = 0
    net_sales_minor: int = 0  # what the sales came to, every tender
    tax_minor: int = 0
    tenders: list[TenderTotal] = field(default_factory=list)
    cash_tendered_minor: int = 0
    change_given_minor: int = 0
    cash_refunds_minor: int = 0
    refunds_count: int = 0
    cash_in_minor: int = 0
    cash_out_minor: int = 0
    logs: list[CashLog] = field(default_factory=list)
    exceptions: list[AuditEntry] = field(default_factory=list)
    counted_minor: int | None = None

    @property
    def cash_sales_minor(self) -> int:
        """Cash the sales left in the drawer: tendered minus change (so change is never counted twice)."""
        return self.cash_tendered_minor - self.change_given_minor

    @property
    def expected_minor(self) -> int:
        """Opening + cash sales − cash refunds − change given ± cash logs."""
        return (
            self.opening_minor
            + self.cash_tendered_minor
            - self.change_given_minor
            - self.cash_refunds_minor
            + self.cash_in_minor
            - self.cash_out_minor
        )

    @property
    def over_short_minor(self) -> int | None:
        return None if self.counted_minor is None else self.counted_minor - self.expected_minor


def _sales_of(shift_ids: list[int]):  # type: ignore[no-untyped-def]
    return Sale.shift_id.in_(shift_ids), Sale.status.in_([SaleStatus.PLACED, SaleStatus.REFUNDED])


def _fill(session: Session, figures: DrawerFigures, shift_ids: list[int]) -> DrawerFigures:
    if not shift_ids:
        return figures
    count, net, tax = session.execute(
        select(
            func.count(Sale.id),
            func.coalesce(func.sum(Sale.payable_minor), 0),
            func.coalesce(func.sum(Sale.tax_minor), 0),
        ).where(*_sales_of(shift_ids))
    ).one()
    figures.sales_count, figures.net_sales_minor, figures.tax_minor = count, int(net), int(tax)
    rows = session.execute(
        select(
            SalePayment.tender,
            SalePayment.label,
            func.count(SalePayment.id),
            func.sum(SalePayment.amount_minor),
            func.sum(SalePayment.tendered_minor),
            func.sum(SalePayment.change_minor),
        )
        .join(Sale, Sale.id == SalePayment.sale_id)
        .where(*_sales_of(shift_ids))
        .group_by(SalePayment.tender, SalePayment.label)
        .order_by(SalePayment.tender, SalePayment.label)
    ).all()
    for tender, label, n, amount, tendered, change in rows:
        figures.tenders.append(TenderTotal(tender, label, n, int(amount)))
        if tender == Tender.CASH:
            figures.cash_tendered_minor += int(tendered)
            figures.change_given_minor += int(change)
    figures.logs = list(
        session.scalars(select(CashLog).where(CashLog.shift_id.in_(shift_ids)).order_by(CashLog.created_at, CashLog.id))
    )
    figures.cash_in_minor = sum(log.amount_minor for log in figures.logs if log.direction == CashDirection.IN)
    figures.cash_out_minor = sum(log.amount_minor for log in figures.logs if log.direction == CashDirection.OUT)
    # Cash refunds come with returns; until then the shifts' own figure (kept by the returns) is the source.
    figures.cash_refunds_minor = int(
        session.scalar(select(func.coalesce(func.sum(Shift.cash_refunds_minor), 0)).where(Shift.id.in_(shift_ids)))
    )
    return figures


def _exceptions(session: Session, counter_id: int, since: datetime, until: datetime) -> list[AuditEntry]:
    """Voids, overrides, approvals and cash logs at the counter while the drawer was open (one shift at a time)."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.counter_id == counter_id,
                AuditEntry.created_at >= since,
                AuditEntry.created_at <= until,
                (AuditEntry.action.in_(EXCEPTION_ACTIONS)) | (AuditEntry.approver_id.is_not(None)),
            )
            .order_by(AuditEntry.created_at, AuditEntry.id)
        )
    )


def shift_figures(session: Session, shift: Shift) -> DrawerFigures:
    """The X report of an open shift, or the Z report of a closed one."""
    figures = _fill(session, DrawerFigures(opening_minor=shift.opening_float_minor), [shift.id])
    figures.counted_minor = shift.counted_minor
    figures.exceptions = _exceptions(session, shift.register.counter_id, shift.opened_at, shift.closed_at or utcnow())
    return figures


def register_figures(session: Session, register: Register) -> DrawerFigures:
    """A register's drawer across its shifts: its float, every shift's cash, and the last count when closed."""
    shifts = list(session.scalars(select(Shift).where(Shift.register_id == register.id).order_by(Shift.id)))
    figures = _fill(session, DrawerFigures(opening_minor=register.opening_float_minor), [s.id for s in shifts])
    figures.counted_minor = register.counted_minor
    figures.exceptions = _exceptions(session, register.counter_id, register.opened_at, register.closed_at or utcnow())
    return figures


def combined_figures(session: Session, registers: list[Register]) -> DrawerFigures:
    """Several registers as one (a branch's day): floats and cash summed, counts summed once all are closed."""
    shift_ids = list(session.scalars(select(Shift.id).where(Shift.register_id.in_([r.id for r in registers]))))
    figures = _fill(session, DrawerFigures(opening_minor=sum(r.opening_float_minor for r in registers)), shift_ids)
    if registers and all(r.counted_minor is not None for r in registers):
        figures.counted_minor = sum(r.counted_minor or 0 for r in registers)
    return figures
