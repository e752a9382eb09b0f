"""Who may log in, and who may change which center's data (Argon2id hashes, throttled and audited logins).

Passwords are hashed with Argon2id (argon2-cffi, at OWASP's recommended cost). Hashes from
before (salted scrypt) still verify, and are replaced by an Argon2id hash at the next successful
login, as are Argon2 hashes of older parameters. A name that does not exist, or an account
without a hash, is checked against one module-level dummy hash, so a wrong name costs the same
time as a wrong password. After a few failures an account name, and separately a client
address, must wait before the next try, longer with each failure; the counters live in the
database (login_throttle), so every app instance sees the same ones. Logins, failures, refusals
and every change to an account leave an audit row (table "app_user", no center: a center's own
change log is about its data, accounts are the administrators' concern).

Demo accounts and their documented passwords (``<name>-demo``) exist for the demo network only:
on a database that is not the demo (services.dataset), a demo password never logs anyone in,
and ``demo-users`` refuses to create the accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import hash_secret
from sqlalchemy import case, delete, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from services.audit import record_change
from services.dataset import demo_as_of
from services.i18n import translate
from services.models import Center, LoginThrottle, OidcAccount, Role, User

# OWASP's Argon2id setting (Password Storage Cheat Sheet: 19 MiB, 2 passes, 1 lane): about 35 ms
# here (OWASP puts it beside scrypt at N=2^17, eight times the old N=2^14), and cheap enough
# for the seeder's demo accounts. Tests lower the cost (the cheap_password_hashes fixture);
# stored hashes carry their own parameters, and a login rehashes any that differ from these.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
ARGON2_HASH_BYTES: Final = 32
ARGON2_SALT_BYTES: Final = 16
# Old hashes: "scrypt$n$r$p$salt$hash" (hex). Only verified now, never written, except by tests
# that need an old hash to upgrade.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SCRYPT: Final = "scrypt"

MIN_PASSWORD_LENGTH: Final = 12  # NIST SP 800-63B: length, not composition rules
# ... and no password that is guessable for what it is: mostly one character repeated
# ("aaaaaaaaaaaa", "121212121212"), or the account's own name inside it
MIN_DISTINCT_CHARACTERS: Final = 5
MAX_PASSWORD_LENGTH: Final = 1024  # beyond this a "password" is a denial-of-service attempt
USERNAME: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
SYSTEM_ACTOR: Final = "system"  # the audit's "who" for commands run on the server
logger = logging.getLogger("metrology.auth")


@dataclass(frozen=True)
class ThrottlePolicy:
    """After ``free_failures`` failures in a row, wait ``first_wait_seconds``, doubling per failure."""

    free_failures: int
    first_wait_seconds: float
    max_wait_seconds: float
    forget_after_seconds: float  # failures this long ago no longer count

    def wait_after(self, failures: int) -> float:
        if failures <= self.free_failures:
            return 0.0
        return min(self.max_wait_seconds, self.first_wait_seconds * 2 ** (failures - self.free_failures - 1))


# an account: 5 free guesses, then 30 s, 60 s, … up to 15 min; a client address (many accounts
# tried from one place) is allowed more, since colleagues may share one address
ACCOUNT_THROTTLE = ThrottlePolicy(
    free_failures=5, first_wait_seconds=30, max_wait_seconds=900, forget_after_seconds=3600
)
CLIENT_THROTTLE = ThrottlePolicy(
    free_failures=20, first_wait_seconds=30, max_wait_seconds=900, forget_after_seconds=3600
)


class PasswordPolicyError(ValueError):
    """A password or name an account may not have; ``key``/``params`` are a catalog message."""

    def __init__(self, key: str, **params: str) -> None:
        self.key, self.params = key, dict(params)
        super().__init__(translate(key, "en", **params))

    def message(self, lang: str) -> str:
        return translate(self.key, lang, **self.params)


# --- hashing -----------------------------------------------------------------------------------------


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=ARGON2_TIME_COST,
        memory_cost=ARGON2_MEMORY_KIB,
        parallelism=ARGON2_PARALLELISM,
        hash_len=ARGON2_HASH_BYTES,
        salt_len=ARGON2_SALT_BYTES,
        type=Type.ID,
    )


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """An Argon2id PHC string (``$argon2id$v=19$m=…``); a fresh random salt unless one is given.

    A given salt makes the hash reproducible (the seeder writes identical demo rows each time).
    """
    if salt is None:
        return _hasher().hash(password)
    return hash_secret(
        password.encode("utf-8"),
        salt,
        time_cost=ARGON2_TIME_COST,
        memory_cost=ARGON2_MEMORY_KIB,
        parallelism=ARGON2_PARALLELISM,
        hash_len=ARGON2_HASH_BYTES,
        type=Type.ID,
    ).decode("ascii")


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != _SCRYPT or int(n) > 2**20 or int(r) > 32 or int(p) > 16:
            return False
        expected = bytes.fromhex(digest_hex)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt_hex),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=2**31 - 1,
        )
    except (ValueError, TypeError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def _check(password: str, stored: str | None) -> tuple[bool, bool]:
    """(matches, should be rehashed with today's parameters)."""
    if not stored:
        return False, False
    if stored.startswith("$argon2"):
        hasher = _hasher()
        try:
            hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, False
        return True, hasher.check_needs_rehash(stored)
    if stored.startswith(f"{_SCRYPT}$"):
        matches = _verify_scrypt(password, stored)
        return matches, matches
    return False, False


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored`` (Argon2 or old scrypt); a missing or malformed hash never matches."""
    return _check(password, stored)[0]


_dummy_hashes: dict[tuple[int, int, int], str] = {}


def _dummy_hash() -> str:
    """The one hash checked for a name that does not exist: made once per cost setting, never matched."""
    key = (ARGON2_TIME_COST, ARGON2_MEMORY_KIB, ARGON2_PARALLELISM)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hash_password(
            "no account has this password: " + hashlib.sha256(b"dummy").hexdigest()
        )
    return _dummy_hashes[key]


def check_new_password(password: str, username: str | None = None) -> None:
    """Refuse a password an account may not get (too short or long, too few different characters,
    the account's name inside it); ``PasswordPolicyError``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            "auth.error.password_too_short", length=str(len(password)), minimum=str(MIN_PASSWORD_LENGTH)
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordPolicyError("auth.error.password_too_long", maximum=str(MAX_PASSWORD_LENGTH))
    if len(set(password.casefold())) < MIN_DISTINCT_CHARACTERS:
        raise PasswordPolicyError("accounts.error.password_too_simple", minimum=str(MIN_DISTINCT_CHARACTERS))
    name = _normal_username(username or "")
    if len(name) >= 3 and name in password.casefold():
        raise PasswordPolicyError("accounts.error.password_has_name", username=name[:64])


def _normal_username(username: str) -> str:
    return username.strip().lower()


# --- who is signed in ------------------------------------------------------------------------------


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
        username=user.username,
        role=user.role,
        center_id=user.center_id,
        center_code=center.code if center else None,
    )


def _find(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == _normal_username(username))).first()


def signed_in_user(session: Session, username: str) -> SignedInUser | None:
    """The user as stored now (role or center may have changed since login); None once disabled.

    A name with "@" is an e-mail address signed in through OIDC (account names cannot hold one):
    its rights are those of its row in oidc_account (services.oidc).
    """
    if "@" in username:
        mapped = session.exec(
            select(OidcAccount).where(OidcAccount.email == username.strip().lower())
        ).first()
        if mapped is None or mapped.disabled:
            return None
        center = session.get(Center, mapped.center_id) if mapped.center_id is not None else None
        return SignedInUser(
            username=mapped.email,
            role=mapped.role,
            center_id=mapped.center_id,
            center_code=center.code if center else None,
        )
    user = session.exec(select(User).where(User.username == username)).first()
    return _signed_in(session, user) if user and not user.disabled else None


# --- throttling ----------------------------------------------------------------------------------------


def _seconds(moment: datetime) -> float:
    return moment.timestamp() if moment.tzinfo else moment.replace(tzinfo=UTC).timestamp()


def _keys(username: str, client: str | None) -> list[tuple[str, ThrottlePolicy]]:
    keys = [(f"account:{_normal_username(username)[:100]}", ACCOUNT_THROTTLE)]
    if client:
        keys.append((f"client:{client[:100]}", CLIENT_THROTTLE))
    return keys


def wait_seconds(session: Session, *, username: str, client: str | None, now: datetime) -> int:
    """Whole seconds this name (or this client) must still wait before a login is even checked."""
    keys = [key for key, _ in _keys(username, client)]
    until = session.execute(
        select(func.max(LoginThrottle.locked_until)).where(col(LoginThrottle.key).in_(keys))
    )
    locked_until = until.scalar_one()
    longest = (locked_until or 0.0) - _seconds(now)
    return math.ceil(longest) if longest > 0 else 0


def _record_failure(session: Session, key: str, policy: ThrottlePolicy, at: float) -> None:
    """One more failure for ``key`` (a fresh count once the last one is forgotten), and its wait.

    One atomic upsert, so two app instances failing at once both count (no lost update).
    """
    table = LoginThrottle.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ on table=True classes at class creation but does not declare it
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    forgotten = table.c.last_failure_at < at - policy.forget_after_seconds
    upsert = insert(table).values(key=key, failures=1, last_failure_at=at, locked_until=None)
    returning = upsert.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"failures": case((forgotten, 1), else_=table.c.failures + 1), "last_failure_at": at},
    ).returning(table.c.failures)
    failures = session.execute(returning).scalar_one()
    wait = policy.wait_after(failures)
    session.execute(update(table).where(table.c.key == key).values(locked_until=at + wait if wait else None))


def _forget_old_failures(session: Session, at: float) -> None:
    oldest = at - max(ACCOUNT_THROTTLE.forget_after_seconds, CLIENT_THROTTLE.forget_after_seconds)
    session.execute(delete(LoginThrottle).where(col(LoginThrottle.last_failure_at) < oldest))


# --- logging in ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginOutcome:
    """The user when the login succeeded; else why not: a wait, a disabled account, or wrong credentials."""

    user: SignedInUser | None = None
    wait_seconds: int = 0
    refusal: str | None = None  # None on success; "throttled", "disabled", "demo_password", "failed"

    def message(self, lang: str) -> str:
        if self.refusal == "throttled":
            return translate("auth.login.throttled", lang, seconds=str(self.wait_seconds))
        if self.refusal == "disabled":
            return translate("auth.login.disabled", lang)
        if self.refusal == "demo_password":
            return translate("auth.login.demo_password", lang)
        failed = translate("data.login.failed", lang)
        if self.wait_seconds:  # this failure was one too many: say so now, not at the next try
            return f"{failed} {translate('auth.login.throttled', lang, seconds=str(self.wait_seconds))}"
        return failed


def _audit_login(
    session: Session,
    *,
    username: str,
    user: User | None,
    action: str,
    client: str | None,
    now: datetime,
    **facts: object,
) -> None:
    record_change(
        session,
        username=username[:64],
        table_name="app_user",
        row_id=user.id if user else "—",
        action=action,
        after={"client": client, **facts},
        at=now,
    )


def log_in(
    session: Session, username: str, password: str, *, client: str | None = None, now: datetime | None = None
) -> LoginOutcome:
    """Check a name and password, throttled per account name and per client; commits what it records.

    ``now`` is the moment of the attempt (tests pass it; the page passes None for the clock).
    A throttled attempt is answered before any hash is computed, and only logged (an audit row
    per held-back try would let a script grow the table). A wrong name and a wrong password get
    the same answer in the same time.
    """
    now = now or datetime.now(UTC)
    at = _seconds(now)
    name = _normal_username(username)
    wait = wait_seconds(session, username=name, client=client, now=now)
    if wait:
        # logged, not audited: a script hammering a held-back name must not grow the audit table
        logger.info("login held back: %s from %s waits %d s", name[:64], client, wait)
        return LoginOutcome(wait_seconds=wait, refusal="throttled")
    user = _find(session, name) if len(password) <= MAX_PASSWORD_LENGTH else None
    stored = user.password_hash if user is not None else None
    matches, rehash = _check(password, stored or _dummy_hash())
    matches = matches and stored is not None
    refusal: str | None = None
    if not matches:
        refusal = "failed"
    elif user is not None and user.disabled:
        refusal = "disabled"
    elif user is not None and password == demo_password(user.username) and demo_as_of(session) is None:
        refusal = "demo_password"  # the README's demo passwords open demo databases only
    if refusal is not None:
        for key, policy in _keys(name, client):
            _record_failure(session, key, policy, at)
        _forget_old_failures(session, at)
        _audit_login(
            session,
            username=name,
            user=user,
            action=f"login_{refusal}" if refusal != "failed" else "login_failed",
            client=client,
            now=now,
        )
        session.commit()
        return LoginOutcome(
            refusal=refusal, wait_seconds=wait_seconds(session, username=name, client=client, now=now)
        )
    assert user is not None
    session.execute(delete(LoginThrottle).where(col(LoginThrottle.key) == _keys(name, None)[0][0]))
    if rehash:
        user.password_hash = hash_password(password)
        session.add(user)
    _audit_login(
        session, username=user.username, user=user, action="login", client=client, now=now, rehashed=rehash
    )
    session.commit()
    return LoginOutcome(user=_signed_in(session, user))


def authenticate(session: Session, username: str, password: str) -> SignedInUser | None:
    """The user when the name and password match, else None (see ``log_in``, which also says why)."""
    return log_in(session, username, password).user


# --- accounts --------------------------------------------------------------------------------------


def _center_id(session: Session, center_code: str | None) -> int | None:
    if center_code is None:
        return None
    center = session.exec(select(Center).where(Center.code == center_code)).first()
    if center is None:
        raise PasswordPolicyError("auth.error.unknown_center", center=center_code)
    return center.id


def _account_facts(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "role": user.role,
        "center_id": user.center_id,
        "disabled": user.disabled,
        "email": user.email,
    }


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise PasswordPolicyError("accounts.error.bad_role", role=str(role)[:32]) from None


def _add_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role | str,
    center_code: str | None,
    by: str,
    email: str | None = None,
) -> User:
    role = _role(role)
    name = _normal_username(username)
    if not USERNAME.fullmatch(name):
        raise PasswordPolicyError("auth.error.bad_username", username=name[:64])
    if _find(session, name) is not None:
        raise PasswordPolicyError("auth.error.username_taken", username=name)
    center_id = _center_id(session, center_code)
    if role == Role.CENTER_STAFF and center_id is None:
        raise PasswordPolicyError("auth.error.staff_need_center")
    user = User(
        username=name, role=role, center_id=center_id, password_hash=hash_password(password), email=email
    )
    session.add(user)
    session.flush()
    record_change(
        session,
        username=by,
        table_name="app_user",
        row_id=user.id,
        action="insert",
        after=_account_facts(user),
    )
    return user


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role | str,
    center_code: str | None = None,
    by: str = SYSTEM_ACTOR,
    email: str | None = None,
) -> User:
    """Add a user (the caller commits) after checking the password; audited as done ``by`` someone."""
    check_new_password(password, username)
    return _add_user(
        session, username=username, password=password, role=role, center_code=center_code, by=by, email=email
    )


def _existing(session: Session, username: str) -> User:
    user = _find(session, username)
    if user is None:
        raise PasswordPolicyError("auth.error.no_such_user", username=_normal_username(username)[:64])
    return user


def _change(session: Session, user: User, by: str, action: str, **values: object) -> User:
    before = _account_facts(user)
    for name, value in values.items():
        setattr(user, name, value)
    session.add(user)
    session.flush()
    record_change(
        session,
        username=by,
        table_name="app_user",
        row_id=user.id,
        action=action,
        before=before,
        after=_account_facts(user),
    )
    return user


def set_password(session: Session, *, username: str, password: str, by: str = SYSTEM_ACTOR) -> User:
    """Give an account a new password (the caller commits); its failed-login count starts again."""
    check_new_password(password, username)
    user = _existing(session, username)
    session.execute(delete(LoginThrottle).where(col(LoginThrottle.key) == f"account:{user.username}"))
    return _change(session, user, by, "password_change", password_hash=hash_password(password))


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse a change that would leave no active administrator (nobody could manage accounts in the app)."""
    if user.role != Role.ADMIN or user.disabled:
        return
    active = session.exec(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, col(User.disabled).is_(False))
    ).one()
    if active <= 1:
        raise PasswordPolicyError("accounts.error.last_admin", username=user.username)


def set_disabled(session: Session, *, username: str, disabled: bool, by: str = SYSTEM_ACTOR) -> User:
    """Disable an account (it cannot log in, and open sessions lose their rights) or enable it again."""
    user = _existing(session, username)
    if disabled:
        _keep_an_admin(session, user)
    return _change(session, user, by, "disable" if disabled else "enable", disabled=disabled)


def set_role(
    session: Session,
    *,
    username: str,
    role: Role | str,
    center_code: str | None = None,
    by: str = SYSTEM_ACTOR,
) -> User:
    """Change an account's role (and center: staff need one, others keep none unless given)."""
    role = _role(role)
    center_id = _center_id(session, center_code)
    if role == Role.CENTER_STAFF and center_id is None:
        raise PasswordPolicyError("auth.error.staff_need_center")
    user = _existing(session, username)
    if role != Role.ADMIN:
        _keep_an_admin(session, user)
    return _change(session, user, by, "role_change", role=role, center_id=center_id)


def has_users(session: Session) -> bool:
    return bool(session.exec(select(func.count()).select_from(User)).one())


# --- demo accounts -----------------------------------------------------------------------------------


def demo_username(center_code: str) -> str:
    """``TTKT-31`` -> ``ttkt31``: the demo staff account of a center."""
    return "".join(ch for ch in center_code.lower() if ch.isalnum())


def demo_password(username: str) -> str:
    """Demo accounts' password (documented in the README; refused on any database but the demo)."""
    return f"{username}-demo"


def add_demo_users(session: Session) -> list[str]:
    """Demo accounts for a demo database seeded before accounts existed (skips names already taken).

    Refused (``PasswordPolicyError``) on a database that is not the demo network: public
    passwords must never open real data.
    """
    if demo_as_of(session) is None:
        raise PasswordPolicyError("auth.error.not_a_demo_database")
    taken = set(session.exec(select(User.username)).all())
    wanted: list[tuple[str, Role, str | None]] = [("admin", Role.ADMIN, None), ("viewer", Role.VIEWER, None)]
    open_centers = session.exec(
        select(Center.code).where(col(Center.active_to).is_(None)).order_by(Center.code)
    ).all()
    wanted += [(demo_username(code), Role.CENTER_STAFF, code) for code in open_centers]
    added = []
    for username, role, center_code in wanted:
        if username not in taken:
            # the documented demo passwords are shorter than the policy allows: demo databases only
            _add_user(
                session,
                username=username,
                password=demo_password(username),
                role=role,
                center_code=center_code,
                by=SYSTEM_ACTOR,
            )
            added.append(username)
    session.commit()
    return added


# --- commands ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    import argparse

    from services.db import make_engine, upgrade_schema

    parser = argparse.ArgumentParser(
        description="Accounts for the data-management page (every change is audited)."
    )
    parser.add_argument("--database-url", default=None, help="default: DATABASE_URL or data/metrology.db")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-user", help="add an account (asks for the password)")
    add.add_argument("username")
    add.add_argument("--role", choices=[role.value for role in Role], required=True)
    add.add_argument("--center", default=None, help="center code, required for center_staff")
    password = commands.add_parser("set-password", help="give an account a new password (asks for it)")
    password.add_argument("username")
    disable = commands.add_parser(
        "disable", help="disable an account: no login, open sessions lose their rights"
    )
    disable.add_argument("username")
    enable = commands.add_parser("enable", help="enable a disabled account again")
    enable.add_argument("username")
    role = commands.add_parser("set-role", help="change an account's role (and center)")
    role.add_argument("username")
    role.add_argument("--role", choices=[role.value for role in Role], required=True)
    role.add_argument("--center", default=None, help="center code, required for center_staff")
    commands.add_parser(
        "demo-users", help="add the missing demo accounts (<name>-demo passwords; demo database only)"
    )
    mapping = commands.add_parser(
        "map-email", help="give an e-mail address signed in through OIDC a role (and center)"
    )
    mapping.add_argument("email")
    mapping.add_argument("--role", choices=[role.value for role in Role], required=True)
    mapping.add_argument("--center", default=None, help="center code, required for center_staff")
    mapping.add_argument("--disabled", action="store_true", help="keep the row but sign nobody in with it")
    args = parser.parse_args(argv)
    engine = make_engine(args.database_url)
    upgrade_schema(engine)

    with Session(engine) as session:
        try:
            message = _run_command(session, args)
            session.commit()
        except PasswordPolicyError as err:
            session.rollback()
            raise SystemExit(f"{err.message('en')} / {err.message('vi')} Nothing was changed.") from None
    print(message)


def _ask_password(username: str) -> str:
    import getpass

    first = getpass.getpass(f"Password for {username} (at least {MIN_PASSWORD_LENGTH} characters): ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("The passwords differ; nothing was changed.")
    return first


def _run_command(session: Session, args) -> str:
    """Do one command of ``main`` (the caller commits) and say what was done."""
    if args.command == "add-user":
        create_user(
            session,
            username=args.username,
            password=_ask_password(args.username),
            role=args.role,
            center_code=args.center,
        )
        return f"Added {_normal_username(args.username)} ({args.role})."
    if args.command == "set-password":
        _existing(session, args.username)
        set_password(session, username=args.username, password=_ask_password(args.username))
        return f"New password set for {_normal_username(args.username)}."
    if args.command in ("disable", "enable"):
        set_disabled(session, username=args.username, disabled=args.command == "disable")
        return f"{args.command.capitalize()}d {_normal_username(args.username)}."
    if args.command == "set-role":
        set_role(session, username=args.username, role=args.role, center_code=args.center)
        return f"{_normal_username(args.username)} is now {args.role}."
    if args.command == "map-email":
        from services.oidc import map_email  # services.oidc builds on this module

        map_email(session, email=args.email, role=args.role, center_code=args.center, disabled=args.disabled)
        return f"{args.email.strip().lower()} signs in through OIDC as {args.role}."
    added = add_demo_users(session)
    return f"Added {len(added)} demo accounts: {', '.join(added) or 'none'}."


if __name__ == "__main__":
    main()
