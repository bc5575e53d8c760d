"""Roles and their permission grants."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Merchant, Role, RoleGrant, User
from ismartsync.permissions import DEFAULT_ROLES, OWNER_ROLE_NAME, Effect, Permission
from ismartsync.services.audit import Actor, record_audit


def create_default_roles(session: Session, merchant: Merchant) -> dict[str, Role]:
    """Owner, Manager, Cashier, Inventory and Accountant with their default grants."""
    roles = {OWNER_ROLE_NAME: Role(merchant=merchant, name=OWNER_ROLE_NAME, is_owner=True, is_default=True)}
    for name, grants in DEFAULT_ROLES.items():
        role = Role(merchant=merchant, name=name, is_default=True)
        role.grants = [RoleGrant(permission=p.value, effect=e.value) for p, e in grants.items()]
        roles[name] = role
    session.add_all(roles.values())
    session.flush()
    return roles


def _check_name(session: Session, merchant_id: int, name: str, role_id: int | None = None) -> str:
    name = name.strip()
    query = select(Role.id).where(Role.merchant_id == merchant_id, func.lower(Role.name) == name.lower())
    existing = session.scalar(query)
    if existing is not None and existing != role_id:
        raise DomainError("A role with this name already exists.", field="name")
    return name


def create_role(
    session: Session, actor: Actor, name: str, description: str = "", copy_from: Role | None = None
) -> Role:
    """A custom role, empty or copied from another role's grants."""
    role = Role(
        merchant_id=actor.merchant_id, name=_check_name(session, actor.merchant_id, name), description=description
    )
    if copy_from is not None and not copy_from.is_owner:
        role.grants = [RoleGrant(permission=g.permission, effect=g.effect) for g in copy_from.grants]
    session.add(role)
    session.flush()
    record_audit(session, actor, "role.create", f"Created role {role.name}", target=role)
    return role


def set_grant(session: Session, actor: Actor, role: Role, permission: Permission, effect: Effect) -> None:
    """Set one cell of the roles × permissions matrix."""
    if role.is_owner:
        raise DomainError("The Owner role always holds every permission.")
    if permission.is_page and effect is Effect.NEEDS_APPROVAL:
        raise DomainError("Page access is either allowed or blocked.", field="effect")
    before = role.effect(permission)
    if before is effect:
        return
    grant = next((g for g in role.grants if g.permission == permission.value), None)
    if effect is Effect.BLOCKED:
        if grant is not None:
            role.grants.remove(grant)
    elif grant is None:
        role.grants.append(RoleGrant(permission=permission.value, effect=effect.value))
    else:
        grant.effect = effect.value
    session.flush()
    record_audit(
        session,
        actor,
        "role.permission",
        f"{role.name}: {permission.info.label} → {effect.label}",
        target=role,
        before={permission.value: before.value},
        after={permission.value: effect.value},
    )


def delete_role(session: Session, actor: Actor, role: Role) -> None:
    if role.is_owner or role.is_default:
        raise DomainError("Default roles cannot be removed; change their permissions instead.")
    in_use = session.scalar(select(func.count()).select_from(User).where(User.role_id == role.id))
    if in_use:
        raise DomainError(f"{in_use} member(s) still have this role. Give them another role first.")
    record_audit(session, actor, "role.delete", f"Removed role {role.name}", target=role)
    session.delete(role)
    session.flush()
