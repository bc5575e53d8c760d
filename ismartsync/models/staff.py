"""Staff members, their roles and the role × permission grants."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.crypto import EncryptedText
from ismartsync.models.base import Base, TenantMixin, TimestampMixin
from ismartsync.models.merchant import Branch, Counter
from ismartsync.permissions import Effect, Permission

user_branches = sa.Table(
    "user_branches",
    Base.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("branch_id", sa.ForeignKey("branches.id", ondelete="CASCADE"), primary_key=True),
)

user_counters = sa.Table(
    "user_counters",
    Base.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("counter_id", sa.ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True),
)


class Role(TenantMixin, TimestampMixin, Base):
    __tablename__ = "roles"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "name"),)

    name: Mapped[str] = mapped_column(sa.String(60))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    # The owner role holds every permission and cannot be edited or removed.
    is_owner: Mapped[bool] = mapped_column(default=False)
    is_default: Mapped[bool] = mapped_column(default=False)

    grants: Mapped[list[RoleGrant]] = relationship(back_populates="role", cascade="all, delete-orphan", lazy="selectin")

    def effect(self, permission: Permission) -> Effect:
        if self.is_owner:
            return Effect.ALLOWED
        for grant in self.grants:
            if grant.permission == permission:
                return Effect(grant.effect)
        return Effect.BLOCKED

    def __repr__(self) -> str:
        return f"<Role {self.id} {self.name!r}>"


class RoleGrant(Base):
    __tablename__ = "role_grants"

    role_id: Mapped[int] = mapped_column(sa.ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    permission: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    effect: Mapped[str] = mapped_column(sa.String(16))

    role: Mapped[Role] = relationship(back_populates="grants")


class User(TenantMixin, TimestampMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    pin_hash: Mapped[str | None] = mapped_column(sa.String(200))
    role_id: Mapped[int] = mapped_column(sa.ForeignKey("roles.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Every branch, present and future (owners and area managers); otherwise only `branches`.
    all_branches: Mapped[bool] = mapped_column(default=False)
    # Bumped on password change and deactivation: signs the member out everywhere.
    session_version: Mapped[int] = mapped_column(default=1)
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    # The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    invited_at: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]
    deactivated_at: Mapped[datetime | None]

    role: Mapped[Role] = relationship(lazy="joined")
    branches: Mapped[list[Branch]] = relationship(secondary=user_branches, order_by="Branch.name")
    counters: Mapped[list[Counter]] = relationship(secondary=user_counters, order_by="Counter.name")

    # Flask-Login protocol.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def first_name(self) -> str:
        return self.full_name.split()[0] if self.full_name else self.email

    @property
    def initials(self) -> str:
        parts = self.full_name.split()
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    @property
    def has_accepted_invite(self) -> bool:
        return self.password_hash is not None

    def can(self, permission: Permission) -> bool:
        """True when the role holds the permission outright (no approval needed)."""
        return self.active and self.role.effect(permission) is Effect.ALLOWED

    def effect(self, permission: Permission) -> Effect:
        return self.role.effect(permission) if self.active else Effect.BLOCKED

    @property
    def sees_every_branch(self) -> bool:
        """Owners and members given every branch: no branch of the business is closed to them."""
        return self.all_branches or self.role.is_owner

    def works_at(self, counter: Counter) -> bool:
        """May this member sign in at that counter."""
        if self.sees_every_branch:
            return True
        if self.counters:
            return any(c.id == counter.id for c in self.counters)
        return any(b.id == counter.branch_id for b in self.branches)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email!r}>"
