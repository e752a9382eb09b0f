"""What an administrator does to accounts in the app: list, add, disable, enable, reset a password, change role.

Every function checks here, not on the page, that the person acting is an active administrator
(asked of the database on each call, so a demoted or disabled admin loses the power at once);
nobody may disable or demote themselves, nor (services.auth, for the commands too) the last
active administrator, so the network never ends up without one. Each change commits with its audit row (services.auth writes it,
naming who acted) or, refused, changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final, TypeVar

import pandas as pd
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from services import audit, auth, oidc
from services.auth import PasswordPolicyError
from services.models import Center, OidcAccount, Role, User

ACCOUNT_COLUMNS: Final = ["username", "role", "center_code", "email", "disabled"]
# a deliberately loose check: one "@", something on each side, a dot in the domain, no spaces
EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL_LENGTH: Final = 254
T = TypeVar("T")


def _require_admin(session: Session, actor: str) -> auth.SignedInUser:
    user = auth.signed_in_user(session, actor)
    if user is None or not user.is_admin:
        raise PasswordPolicyError("accounts.error.admins_only")
    return user


def _not_yourself(actor: str, username: str) -> None:
    """Refuse taking admin rights from oneself (the last active admin is guarded in services.auth)."""
    if username.strip().lower() == actor:
        raise PasswordPolicyError("accounts.error.not_yourself")


def _committed(session: Session, change: Callable[[], T]) -> T:
    try:
        user = change()
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user


def list_accounts(session: Session, *, actor: str) -> pd.DataFrame:
    """Every account, by name (administrators only)."""
    _require_admin(session, actor)
    rows = session.execute(
        select_columns(
            col(User.username), col(User.role), col(Center.code), col(User.email), col(User.disabled)
        )
        .outerjoin(Center, col(Center.id) == col(User.center_id))
        .order_by(User.username)
    ).all()
    return pd.DataFrame(rows, columns=ACCOUNT_COLUMNS)


def _checked_email(email: str | None) -> str | None:
    text = (email or "").strip()
    if not text:
        return None
    if len(text) > MAX_EMAIL_LENGTH or not EMAIL.fullmatch(text):
        raise PasswordPolicyError("accounts.error.bad_email", email=text[:80])
    return text.lower()


def add_account(
    session: Session,
    *,
    actor: str,
    username: str,
    password: str,
    role: Role | str,
    center_code: str | None = None,
    email: str | None = None,
) -> User:
    """A new account with an initial password that passes ``auth.check_new_password``."""
    _require_admin(session, actor)
    address = _checked_email(email)

    def add() -> User:
        user = auth.create_user(
            session,
            username=username,
            password=password,
            role=role,
            center_code=center_code or None,
            by=actor,
            email=address,
        )
        return user

    return _committed(session, add)


def set_account_disabled(session: Session, *, actor: str, username: str, disabled: bool) -> User:
    """Disable an account (no login; open sessions lose their rights) or enable it again."""
    _require_admin(session, actor)
    if disabled:
        _not_yourself(actor, username)
    return _committed(
        session, lambda: auth.set_disabled(session, username=username, disabled=disabled, by=actor)
    )


def reset_password(session: Session, *, actor: str, username: str, password: str) -> User:
    """Give an account a new password (its failed-login count starts again)."""
    _require_admin(session, actor)
    return _committed(
        session, lambda: auth.set_password(session, username=username, password=password, by=actor)
    )


def change_role(
    session: Session, *, actor: str, username: str, role: Role | str, center_code: str | None = None
) -> User:
    """A new role and center; demoting oneself or the last active administrator is refused."""
    _require_admin(session, actor)
    if str(role) != Role.ADMIN:
        _not_yourself(actor, username)
    return _committed(
        session,
        lambda: auth.set_role(
            session, username=username, role=role, center_code=center_code or None, by=actor
        ),
    )


def account_log(session: Session, *, actor: str, limit: int = audit.DEFAULT_LIMIT) -> pd.DataFrame:
    """Newest first: every change to accounts and OIDC rows, logins, backups downloaded and restored
    (administrators only)."""
    _require_admin(session, actor)
    frames = [
        audit.audit_log(session, table_name=table, limit=limit)
        for table in ("app_user", "oidc_account", "backup")
    ]
    merged = pd.concat([frame for frame in frames if not frame.empty] or frames[:1], ignore_index=True)
    return merged.sort_values(["at", "id"], ascending=False).head(limit).drop(columns=["id", "center_code"])


OIDC_COLUMNS: Final = ["email", "role", "center_code", "disabled"]


def list_oidc_accounts(session: Session, *, actor: str) -> pd.DataFrame:
    """Every e-mail address that may sign in through OIDC, with its rights (administrators only)."""
    _require_admin(session, actor)
    rows = session.execute(
        select(OidcAccount.email, OidcAccount.role, Center.code, OidcAccount.disabled)
        .outerjoin(Center, col(Center.id) == col(OidcAccount.center_id))
        .order_by(OidcAccount.email)
    ).all()
    return pd.DataFrame(rows, columns=OIDC_COLUMNS)


def map_oidc_email(
    session: Session,
    *,
    actor: str,
    email: str,
    role: Role | str,
    center_code: str | None = None,
    disabled: bool = False,
) -> OidcAccount:
    """Give an address signed in through OIDC a role and center, or disable it; audited as done by ``actor``."""
    _require_admin(session, actor)
    if "@" in actor and email.strip().lower() == actor and (disabled or str(role) != Role.ADMIN):
        raise PasswordPolicyError("accounts.error.not_yourself")
    return _committed(
        session,
        lambda: oidc.map_email(
            session, email=email, role=role, center_code=center_code or None, disabled=disabled, by=actor
        ),
    )
