"""Outgoing email: each message is a row first, then a job delivers it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ismartsync.models.base import Base, IdMixin, TimestampMixin


class EmailStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class OutgoingEmail(IdMixin, TimestampMixin, Base):
    __tablename__ = "outgoing_emails"

    merchant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body_text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12), default=EmailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    # Documents rendered and attached when the email is sent, e.g. [{"kind": "sale_invoice", "sale_id": 12}].
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
