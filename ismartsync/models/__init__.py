"""The data model, one module per aggregate; importing this package registers every table."""

from ismartsync.models.audit import AuditEntry
from ismartsync.models.base import Base
from ismartsync.models.catalog import Customer, Product, Variant
from ismartsync.models.device import Device
from ismartsync.models.email import EmailStatus, OutgoingEmail
from ismartsync.models.merchant import Branch, Counter, Merchant
from ismartsync.models.shopify import (
    AuthMethod,
    ConnectionStatus,
    ImportRun,
    ImportStatus,
    ShopifyConnection,
    ShopifyLocation,
)
from ismartsync.models.staff import Role, RoleGrant, User, user_branches, user_counters
from ismartsync.models.stock import MovementKind, StockLevel, StockMovement

__all__ = [
    "AuditEntry",
    "AuthMethod",
    "Base",
    "Branch",
    "ConnectionStatus",
    "Counter",
    "Customer",
    "Device",
    "EmailStatus",
    "ImportRun",
    "ImportStatus",
    "Merchant",
    "MovementKind",
    "OutgoingEmail",
    "Product",
    "Role",
    "RoleGrant",
    "ShopifyConnection",
    "ShopifyLocation",
    "StockLevel",
    "StockMovement",
    "User",
    "Variant",
    "user_branches",
    "user_counters",
]
