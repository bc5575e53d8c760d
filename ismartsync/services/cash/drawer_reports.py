"""The figures of the X report (a shift or register mid-way), the Z report (closed) and the day close.

Read from the sales, payments, cash logs and audit entries themselves, not from the shift's running figures, so a
report checks the counter's bookkeeping instead of repeating it (`tests/services/test_drawer_reports.py` holds both
to the same hand-computed day).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismartsync.models import (
    PLACED_STATUSES,
    AuditEntry,
    Branch,
    CashDirection,
    CashLog,
    Counter,
    Register,
    RegisterStatus,
    ReturnRefund,
    Sale,
    SalePayment,
    SaleReturn,
    Shift,
    ShiftStatus,
    Tender,
)
from ismartsync.models.base import utcnow
from ismartsync.services.cash.day_close import business_day_bounds

# What the Z report lists as the shift's exceptions: voids, overrides, refused blind counts, returns and everything a
# supervisor approved.
EXCEPTION_ACTIONS = (
    "return.record",
    "cart.remove_line",
    "cart.discard",
    "cart.price_override",
    "cart.discount_approved",
    "approval",
    "cash.in",
    "cash.out",
    "shift.extend",
    "shift.recount",
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
    refunds_count: int = 0  # returns recorded in the span
    refunds: list[TenderTotal] = field(default_factory=list)  # what they gave back, per tender
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
    def refunds_minor(self) -> int:
        """Everything the span's returns gave back, every tender (an exchange's credit included)."""
        return sum(t.amount_minor for t in self.refunds)

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
    return Sale.shift_id.in_(shift_ids), Sale.status.in_(PLACED_STATUSES)


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
    _fill_refunds(session, figures, shift_ids)
    return figures


def _fill_refunds(session: Session, figures: DrawerFigures, shift_ids: list[int]) -> None:
    """The returns recorded in these shifts and what they gave back per tender; cash refunds from the refund rows
    themselves (the shift's running `cash_refunds_minor` is what the counter keeps, this checks it)."""
    figures.refunds_count = int(
        session.scalar(select(func.count(SaleReturn.id)).where(SaleReturn.shift_id.in_(shift_ids))) or 0
    )
    rows = session.execute(
        select(
            ReturnRefund.tender, ReturnRefund.label, func.count(ReturnRefund.id), func.sum(ReturnRefund.amount_minor)
        )
        .join(SaleReturn, SaleReturn.id == ReturnRefund.sale_return_id)
        .where(SaleReturn.shift_id.in_(shift_ids))
        .group_by(ReturnRefund.tender, ReturnRefund.label)
        .order_by(ReturnRefund.tender, ReturnRefund.label)
    ).all()
    for tender, label, n, amount in rows:
        figures.refunds.append(TenderTotal(tender, label, n, int(amount)))
        if tender == Tender.CASH:
            figures.cash_refunds_minor += int(amount)


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


# What the Registers screen and the reports read besides the figures: each counter's drawer now, the day's registers.


@dataclass(frozen=True)
class CounterDrawer:
    """A counter as the Registers screen shows it: its open register (if any) and the shift holding the drawer."""

    counter: Counter
    register: Register | None
    shift: Shift | None


def counter_drawers(session: Session, branch: Branch) -> list[CounterDrawer]:
    """Every counter of the branch with its open register and open shift, in two queries."""
    registers = {
        r.counter_id: r
        for r in session.scalars(
            select(Register).where(Register.branch_id == branch.id, Register.status == RegisterStatus.OPEN)
        )
    }
    shifts = (
        {
            s.register_id: s
            for s in session.scalars(
                select(Shift).where(
                    Shift.register_id.in_([r.id for r in registers.values()]), Shift.status == ShiftStatus.OPEN
                )
            )
        }
        if registers
        else {}
    )
    drawers = []
    for counter in branch.counters:
        register = registers.get(counter.id)
        drawers.append(CounterDrawer(counter, register, shifts.get(register.id) if register else None))
    return drawers


def registers_closed_on(session: Session, branch: Branch, day: date) -> list[Register]:
    """The branch's registers closed on that local day, latest first."""
    start, end = business_day_bounds(day, branch.merchant.time_zone)
    return list(
        session.scalars(
            select(Register)
            .where(
                Register.branch_id == branch.id,
                Register.status == RegisterStatus.CLOSED,
                Register.closed_at >= start,
                Register.closed_at < end,
            )
            .order_by(Register.closed_at.desc(), Register.id.desc())
        )
    )


def shifts_of(session: Session, registers: list[Register]) -> list[Shift]:
    """The registers' shifts in the order they held the drawer."""
    if not registers:
        return []
    return list(
        session.scalars(
            select(Shift).where(Shift.register_id.in_([r.id for r in registers])).order_by(Shift.opened_at, Shift.id)
        )
    )


def registers_expected_minor(session: Session, registers: list[Register]) -> dict[int, int]:
    """What each register's drawer should hold: fixed at its close, else its float and every shift's cash so far."""
    expected = {r.id: r.expected_minor for r in registers if r.expected_minor is not None}
    live = {r.id: r.opening_float_minor for r in registers if r.expected_minor is None}
    if live:
        for shift in session.scalars(select(Shift).where(Shift.register_id.in_(list(live)))):
            live[shift.register_id] += shift.expected_cash_minor - shift.opening_float_minor
    return expected | live


@dataclass(frozen=True)
class CountedPieces:
    rupees: int
    pieces: int

    @property
    def amount_minor(self) -> int:
        return self.rupees * 100 * self.pieces


def counted_pieces(shift: Shift) -> list[CountedPieces]:
    """How the closing count was made up, largest note first; empty when a total was entered."""
    if not shift.denominations:
        return []
    rows = [CountedPieces(int(value), int(n)) for value, n in shift.denominations.items() if int(n)]
    return sorted(rows, key=lambda row: -row.rupees)
