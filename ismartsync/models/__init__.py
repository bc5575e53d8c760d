"""The data model, one module per aggregate; importing this package registers every table."""

from ismartsync.models.audit import AuditEntry
from ismartsync.models.base import Base
from ismartsync.models.catalog import Customer, Product, Variant
from ismartsync.models.device import Device
from ismartsync.models.email import EmailStatus, OutgoingEmail
from ismartsync.models.fiscal import AttemptOutcome, FiscalAttempt, FiscalDocument, FiscalStatus, InvoiceType
from ismartsync.models.merchant import Branch, Counter, FiscalBackendKind, FiscalEnvironment, Merchant
from ismartsync.models.register import (
    CashDirection,
    CashLog,
    CashReason,
    DayClose,
    Register,
    RegisterStatus,
    Shift,
    ShiftStatus,
)
from ismartsync.models.roster import RosterAssignment, RosterSlot, RosterWeek
from ismartsync.models.sale import PaymentMethod, QuickKey, Sale, SaleLine, SalePayment, SaleStatus, Tender
from ismartsync.models.shopify import (
    AuthMethod,
    ConnectionStatus,
    ImportRun,
    ImportStatus,
    ShopifyConnection,
    ShopifyLocation,
    SubscriptionStatus,
    WebhookSubscription,
)
from ismartsync.models.sign_in import SignInSession
from ismartsync.models.staff import Role, RoleGrant, User, user_branches, user_counters
from ismartsync.models.stock import MovementKind, StockLevel, StockMovement
from ismartsync.models.sync import (
    BatchStatus,
    DriftStatus,
    InventorySyncState,
    OutboxStatus,
    Reconciliation,
    ReconciliationStatus,
    StockDrift,
    SyncBatch,
    SyncOutboxEntry,
    WebhookEvent,
    WebhookStatus,
)

__all__ = [
    "AttemptOutcome",
    "AuditEntry",
    "AuthMethod",
    "Base",
    "BatchStatus",
    "Branch",
    "CashDirection",
    "CashLog",
    "CashReason",
    "ConnectionStatus",
    "Counter",
    "Customer",
    "DayClose",
    "Device",
    "DriftStatus",
    "EmailStatus",
    "FiscalAttempt",
    "FiscalBackendKind",
    "FiscalDocument",
    "FiscalEnvironment",
    "FiscalStatus",
    "ImportRun",
    "ImportStatus",
    "InventorySyncState",
    "InvoiceType",
    "Merchant",
    "MovementKind",
    "OutboxStatus",
    "OutgoingEmail",
    "PaymentMethod",
    "Product",
    "QuickKey",
    "Reconciliation",
    "ReconciliationStatus",
    "Register",
    "RegisterStatus",
    "Role",
    "RoleGrant",
    "RosterAssignment",
    "RosterSlot",
    "RosterWeek",
    "Sale",
    "SaleLine",
    "SalePayment",
    "SaleStatus",
    "Shift",
    "ShiftStatus",
    "ShopifyConnection",
    "ShopifyLocation",
    "SignInSession",
    "StockDrift",
    "StockLevel",
    "StockMovement",
    "SubscriptionStatus",
    "SyncBatch",
    "SyncOutboxEntry",
    "Tender",
    "User",
    "Variant",
    "WebhookEvent",
    "WebhookStatus",
    "WebhookSubscription",
    "user_branches",
    "user_counters",
]
