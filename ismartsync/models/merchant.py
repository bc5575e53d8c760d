"""The tenant: a merchant, its branches and their counters."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.crypto import EncryptedText
from ismartsync.models.base import Base, IdMixin, TenantMixin, TimestampMixin

# How many days a merchant may keep a sale's public receipt link open: a day at least, ten years at most (receipts
# are kept six for tax law; a link is a copy).
MIN_LINK_DAYS, MAX_LINK_DAYS = 1, 3650


class FiscalBackendKind(StrEnum):
    """Where a merchant's sales are reported: FBR's IMS cloud API, or nowhere (fbr.md §3.9: DI may follow)."""

    OFF = "off"
    IMS_CLOUD = "ims_cloud"

    @property
    def label(self) -> str:
        return {"off": "Off: sales are not reported", "ims_cloud": "FBR IMS (cloud)"}[self.value]


class FiscalEnvironment(StrEnum):
    SANDBOX = "sandbox"
    PRODUCTION = "production"

    @property
    def label(self) -> str:
        return {"sandbox": "Sandbox (testing)", "production": "Production (live)"}[self.value]


class Merchant(IdMixin, TimestampMixin, Base):
    __tablename__ = "merchants"

    legal_name: Mapped[str] = mapped_column(sa.String(200))
    brand_name: Mapped[str] = mapped_column(sa.String(120))
    ntn: Mapped[str] = mapped_column(sa.String(20), default="")
    strn: Mapped[str] = mapped_column(sa.String(20), default="")
    tax_office: Mapped[str] = mapped_column(sa.String(120), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    currency: Mapped[str] = mapped_column(sa.String(3), default="PKR")
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Karachi")
    prices_include_tax: Mapped[bool] = mapped_column(default=True)
    # Basis points: 1800 is 18.00 %.
    default_tax_rate_bp: Mapped[int] = mapped_column(default=1800)
    # What a sale that would take branch stock below zero does: "warn" (sell, show a warning) or "block".
    negative_stock_policy: Mapped[str] = mapped_column(sa.String(8), default="warn", server_default="warn")
    # How online orders leave the branches (`models/fulfilment.py` FulfilmentWorkflow); a branch may override it.
    fulfilment_workflow: Mapped[str] = mapped_column(sa.String(16), default="smart", server_default="smart")
    # FBR's Re 1 POS service fee, printed as its own line; 0 switches it off.
    pos_fee_minor: Mapped[int] = mapped_column(default=100, server_default="100")
    # The largest discount a cashier gives without "Discount over limit" (basis points of the discounted amount).
    cashier_discount_limit_bp: Mapped[int] = mapped_column(default=1000, server_default="1000")
    # Above this payable the buyer's name is required (SRO 1006: Rs 100,000).
    buyer_name_threshold_minor: Mapped[int] = mapped_column(
        sa.BigInteger, default=100_000_00, server_default="10000000"
    )
    # FBR reporting (Settings → FBR): the backend, its environment and the bearer token FBR issued (encrypted).
    fiscal_backend: Mapped[str] = mapped_column(sa.String(16), default=FiscalBackendKind.OFF, server_default="off")
    fiscal_environment: Mapped[str] = mapped_column(
        sa.String(12), default=FiscalEnvironment.SANDBOX, server_default="sandbox"
    )
    fbr_token: Mapped[str | None] = mapped_column(EncryptedText)
    # Sent for items that have no PCT code of their own, so an FBR report is never refused for a missing one.
    default_pct_code: Mapped[str] = mapped_column(sa.String(8), default="", server_default="")
    # Cash (Settings → Cash): how far a count may miss before closing needs approval, whether closers count blind,
    # the shift limit and its grace (0: no limit), and the drawer cash beyond which the counter asks for a safe drop.
    cash_tolerance_minor: Mapped[int] = mapped_column(sa.BigInteger, default=500_00, server_default="50000")
    blind_close: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    max_shift_minutes: Mapped[int] = mapped_column(default=600, server_default="600")
    shift_grace_minutes: Mapped[int] = mapped_column(default=30, server_default="30")
    drawer_limit_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    # Owners and managers must sign in with two-factor (Settings → Business); those without it are sent to set it up.
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # How long a sale's public receipt link opens, in days from the sale (a merchant setting, Settings → Selling).
    receipt_link_days: Mapped[int] = mapped_column(default=180, server_default="180")
    # Returns (Settings → Selling): days after the sale a return is taken without approval, whether a sale may be
    # returned at another branch, and the refund above which a supervisor approves (0: no such limit).
    return_window_days: Mapped[int] = mapped_column(default=14, server_default="14")
    returns_at_other_branches: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    refund_approval_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")

    @property
    def reports_to_fbr(self) -> bool:
        return self.fiscal_backend != FiscalBackendKind.OFF

    branches: Mapped[list[Branch]] = relationship(back_populates="merchant", order_by="Branch.name")

    def __repr__(self) -> str:
        return f"<Merchant {self.id} {self.brand_name!r}>"


class Branch(TenantMixin, TimestampMixin, Base):
    __tablename__ = "branches"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "code"),)

    name: Mapped[str] = mapped_column(sa.String(120))
    code: Mapped[str] = mapped_column(sa.String(12))
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # This branch's own fulfilment workflow; None follows the merchant's.
    fulfilment_workflow: Mapped[str | None] = mapped_column(sa.String(16))

    merchant: Mapped[Merchant] = relationship(back_populates="branches")
    counters: Mapped[list[Counter]] = relationship(back_populates="branch", order_by="Counter.name")

    def __repr__(self) -> str:
        return f"<Branch {self.id} {self.code}>"


class Counter(TenantMixin, TimestampMixin, Base):
    __tablename__ = "counters"
    __table_args__ = (sa.UniqueConstraint("branch_id", "name"), sa.UniqueConstraint("merchant_id", "fbr_pos_id"))

    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    active: Mapped[bool] = mapped_column(default=True)
    # Set when a device was last paired, for the counters list.
    last_paired_at: Mapped[datetime | None]
    # The last sale number given here; checkout takes the next one under this row's lock, so numbers have no gaps.
    last_sale_number: Mapped[int] = mapped_column(default=0, server_default="0")
    # FBR: whether this counter's sales are reported, its POS registration number (POSID) and, when FBR issued
    # one for this counter alone, its own bearer token (else the merchant's is used).
    fbr_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    fbr_pos_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    fbr_token: Mapped[str | None] = mapped_column(EncryptedText)

    branch: Mapped[Branch] = relationship(back_populates="counters")

    @property
    def label(self) -> str:
        return f"{self.branch.name} · {self.name}"

    def __repr__(self) -> str:
        return f"<Counter {self.id} {self.name!r}>"
