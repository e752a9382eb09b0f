"""Who may log in, and who may change which center's data (scrypt password hashes, three roles)."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from services.models import Center, Role, User

# scrypt at n=2**14, r=8 costs about 40 ms and 16 MiB here: cheap for one login, dear for guessing.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_KEY_BYTES = 32
_SCHEME = "scrypt"


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (hex); a fresh random salt unless one is given (demo seeding)."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=_KEY_BYTES
    )
    return f"{_SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored``; a missing or malformed hash never matches."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = bytes.fromhex(digest_hex)
        actual = hashlib.scrypt(
            password.encode("utf-8"), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@dataclass(frozen=True)
class SignedInUser:
    """What the app keeps about the person logged in (plain values, safe in session state)."""

    username: str
    role: str
    center_id: int | None
    center_code: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def can_edit(self, center_id: int) -> bool:
        """Admins edit any center; center staff only their own; viewers nothing."""
        if self.role == Role.ADMIN:
            return True
        return self.role == Role.CENTER_STAFF and self.center_id is not None and self.center_id == center_id


def _signed_in(session: Session, user: User) -> SignedInUser:
    center = session.get(Center, user.center_id) if user.center_id is not None else None
    return SignedInUser(
        username=user.username, role=user.role, center_id=user.center_id,
        center_code=center.code if center else None,
    )


def authenticate(session: Session, username: str, password: str) -> SignedInUser | None:
    """The user when the name and password match, else None (the same answer for either mistake)."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        # spend the same time as a real check, so a wrong name cannot be told from a wrong password
        verify_password(password, hash_password("", salt=b"\0" * 16))
        return None
    return _signed_in(session, user) if verify_password(password, user.password_hash) else None


def signed_in_user(session: Session, username: str) -> SignedInUser | None:
    """The user as stored now (role or center may have changed since login)."""
    user = session.exec(select(User).where(User.username == username)).first()
    return _signed_in(session, user) if user else None


def create_user(
    session: Session, *, username: str, password: str, role: Role | str, center_code: str | None = None
) -> User:
    """Add a user (the caller commits); center staff must belong to a center."""
    role = Role(role)
    center_id = None
    if center_code is not None:
        center = session.exec(select(Center).where(Center.code == center_code)).one()
        center_id = center.id
    if role == Role.CENTER_STAFF and center_id is None:
        raise ValueError("center staff need a center")
    user = User(username=username.strip().lower(), role=role, center_id=center_id,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def has_users(session: Session) -> bool:
    return bool(session.exec(select(func.count()).select_from(User)).one())


def demo_username(center_code: str) -> str:
    """``TTKT-31`` -> ``ttkt31``: the demo staff account of a center."""
    return "".join(ch for ch in center_code.lower() if ch.isalnum())


def demo_password(username: str) -> str:
    """Demo accounts' password (documented in the README; demo databases only)."""
    return f"{username}-demo"


def add_demo_users(session: Session) -> list[str]:
    """Demo accounts for a demo database seeded before accounts existed (skips names already taken)."""
    taken = set(session.exec(select(User.username)).all())
    wanted: list[tuple[str, Role, str | None]] = [("admin", Role.ADMIN, None), ("viewer", Role.VIEWER, None)]
    open_centers = session.exec(
        select(Center.code).where(col(Center.active_to).is_(None)).order_by(Center.code)
    ).all()
    wanted += [(demo_username(code), Role.CENTER_STAFF, code) for code in open_centers]
    added = []
    for username, role, center_code in wanted:
        if username not in taken:
            create_user(session, username=username, password=demo_password(username), role=role,
                        center_code=center_code)
            added.append(username)
    session.commit()
    return added


def main(argv: list[str] | None = None) -> None:
    import argparse
    import getpass

    from services.db import make_engine, upgrade_schema

    parser = argparse.ArgumentParser(description="Accounts for the data-management page.")
    parser.add_argument("--database-url", default=None, help="default: DATABASE_URL or data/metrology.db")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-user", help="add an account (asks for the password)")
    add.add_argument("username")
    add.add_argument("--role", choices=[role.value for role in Role], required=True)
    add.add_argument("--center", default=None, help="center code, required for center_staff")
    commands.add_parser("demo-users", help="add the demo accounts (<name>-demo passwords) that are missing")
    args = parser.parse_args(argv)
    engine = make_engine(args.database_url)
    upgrade_schema(engine)
    with Session(engine) as session:
        if args.command == "add-user":
            password = getpass.getpass(f"Password for {args.username}: ")
            if not password or password != getpass.getpass("Again: "):
                raise SystemExit("The passwords are empty or differ; nothing was added.")
            create_user(session, username=args.username, password=password, role=args.role,
                        center_code=args.center)
            session.commit()
            print(f"Added {args.username} ({args.role}).")
        else:
            added = add_demo_users(session)
            print(f"Added {len(added)} demo accounts: {', '.join(added) or 'none'}.")


if __name__ == "__main__":
    main()
