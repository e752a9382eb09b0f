"""Who a person signed in through OIDC (``st.login``) is: their e-mail address, mapped to a role and center.

The identity provider proves the address; the oidc_account table decides what it may do. An
address not in the table, or disabled there, gets no rights at all. Sign-ins and refusals are
audited like password logins; the app checks the row again on every write
(``auth.signed_in_user`` reads it for any name with "@").
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from services import auth
from services.audit import record_change
from services.auth import PasswordPolicyError, SignedInUser
from services.models import OidcAccount, Role


def _email(address: str) -> str:
    text = address.strip().lower()
    if "@" not in text or len(text) > 254:
        raise PasswordPolicyError("accounts.error.bad_email", email=text[:80])
    return text


def map_email(
    session: Session,
    *,
    email: str,
    role: Role | str,
    center_code: str | None = None,
    disabled: bool = False,
    by: str = auth.SYSTEM_ACTOR,
) -> OidcAccount:
    """Give an address a role and center (added or changed; the caller commits); audited."""
    address = _email(email)
    role = auth._role(role)
    center_id = auth._center_id(session, center_code)
    if role == Role.CENTER_STAFF and center_id is None:
        raise PasswordPolicyError("auth.error.staff_need_center")
    row = session.exec(select(OidcAccount).where(OidcAccount.email == address)).first()
    before = None if row is None else {"role": row.role, "center_id": row.center_id, "disabled": row.disabled}
    row = row or OidcAccount(email=address)
    row.role, row.center_id, row.disabled = role, center_id, disabled
    session.add(row)
    session.flush()
    record_change(
        session,
        username=by,
        table_name="oidc_account",
        row_id=row.id,
        action="insert_oidc" if before is None else "role_change",
        before=before,
        after={"email": address, "role": role, "center_id": center_id, "disabled": disabled},
    )
    return row


def sign_in(session: Session, *, email: str | None, now: datetime | None = None) -> SignedInUser | None:
    """The signed-in user for an address the provider vouched for, or None when it has no rights here."""
    address = (email or "").strip().lower()
    user = auth.signed_in_user(session, address) if "@" in address else None
    record_change(
        session,
        username=address[:254] or "—",
        table_name="oidc_account",
        row_id="—",
        action="login_oidc" if user else "login_oidc_refused",
        after={"email": address[:254]},
        at=now or datetime.now(UTC),
    )
    session.commit()
    return user
