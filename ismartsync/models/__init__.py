"""The data model, one module per aggregate; importing this package registers every table."""

from ismartsync.models.audit import AuditEntry
from ismartsync.models.base import Base
from ismartsync.models.device import Device
from ismartsync.models.email import EmailStatus, OutgoingEmail
from ismartsync.models.merchant import Branch, Counter, Merchant
from ismartsync.models.staff import Role, RoleGrant, User, user_branches, user_counters

__all__ = [
    "AuditEntry",
    "Base",
    "Branch",
    "Counter",
    "Device",
    "EmailStatus",
    "Merchant",
    "OutgoingEmail",
    "Role",
    "RoleGrant",
    "User",
    "user_branches",
    "user_counters",
]
