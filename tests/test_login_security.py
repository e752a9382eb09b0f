"""Logins: Argon2id with old hashes upgraded, equal work for unknown names, throttling shared by app instances,
disabled and demo accounts, audited account commands. Time is an argument, never the clock."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from services import auth
from services.dataset import record_demo_as_of
from services.db import make_engine
from services.models import LoginThrottle, User
from tests import tiny_network

NOW = datetime(2026, 3, 14, 9, 26, tzinfo=UTC)
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.usefixtures("cheap_password_hashes")


@pytest.fixture
def network(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        ids = tiny_network.build(session)
        auth.create_user(session, username="tq", password=PASSWORD, role="center_staff", center_code="C-TQ")
        auth.create_user(session, username="boss", password=PASSWORD, role="admin")
        session.commit()
    return ids


def attempt(
    engine: Engine, username: str, password: str, *, at: datetime = NOW, client: str | None = "203.0.113.7"
) -> auth.LoginOutcome:
    with Session(engine) as session:
        return auth.log_in(session, username, password, client=client, now=at)


def stored_hash(engine: Engine, username: str) -> str | None:
    with Session(engine) as session:
        return session.exec(select(User.password_hash).where(User.username == username)).one()


def audit(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT username, action, row_id, before, after FROM audit_log "
                "WHERE table_name = 'app_user' ORDER BY id"
            )
        ).mappings()
        return [dict(row) for row in rows]


def old_scrypt_hash(password: str) -> str:
    """What services.auth wrote before Argon2: scrypt$n$r$p$salt$hash."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**4, r=8, p=1, dklen=32)
    return f"scrypt${2**4}$8$1${salt.hex()}${digest.hex()}"


class CountedChecks:
    """Records every hash a login verifies against (the costly step)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hashes: list[str] = []
        real = auth._check

        def check(password: str, stored: str | None) -> tuple[bool, bool]:
            self.hashes.append(stored or "")
            return real(password, stored)

        monkeypatch.setattr(auth, "_check", check)


# --- hashes -----------------------------------------------------------------------------------------


def test_an_old_scrypt_hash_still_logs_in_and_is_replaced_by_argon2id(
    engine: Engine, network: dict[str, int]
) -> None:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "tq")).one()
        user.password_hash = old_scrypt_hash("an old password of 2025")
        session.commit()
    assert attempt(engine, "tq", "wrong old password").user is None
    assert stored_hash(engine, "tq").startswith("scrypt$")  # a failure changes nothing
    assert attempt(engine, "tq", "an old password of 2025").user is not None
    upgraded = stored_hash(engine, "tq")
    assert upgraded.startswith("$argon2id$") and auth.verify_password("an old password of 2025", upgraded)
    assert attempt(engine, "tq", "an old password of 2025").user is not None
    assert stored_hash(engine, "tq") == upgraded  # already current: not rehashed again
    logins = [json.loads(row["after"]) for row in audit(engine) if row["action"] == "login"]
    assert [login["rehashed"] for login in logins] == [True, False]


def test_an_argon2_hash_of_older_parameters_is_rehashed_at_login(
    engine: Engine, network: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored_hash(engine, "tq")
    monkeypatch.setattr(auth, "ARGON2_TIME_COST", 2)
    assert attempt(engine, "tq", PASSWORD).user is not None
    after = stored_hash(engine, "tq")
    assert after != before and ",t=2," in after and ",t=1," in before


def test_an_unknown_name_and_an_account_without_hash_cost_one_argon2_check_like_a_wrong_password(
    engine: Engine, network: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(engine) as session:
        session.add(User(username="nohash", role="viewer"))
        session.commit()
    checks = CountedChecks(monkeypatch)
    outcomes = [
        attempt(engine, name, "a wrong password here", client=None) for name in ("tq", "nobody", "nohash")
    ]
    assert [o.refusal for o in outcomes] == ["failed"] * 3
    assert len({o.message("en") for o in outcomes}) == 1  # the same answer for each mistake
    real, unknown, without = checks.hashes
    assert real.startswith("$argon2id$") and unknown == without  # one module-level dummy hash
    parameters = [h.split("$")[3] for h in checks.hashes]  # "m=64,t=1,p=1": the same work for each
    assert len(set(parameters)) == 1


def test_create_user_refuses_short_or_empty_passwords_in_both_languages(
    engine: Engine, network: dict[str, int]
) -> None:
    for password in ("", "short", "x" * (auth.MIN_PASSWORD_LENGTH - 1)):
        with Session(engine) as session, pytest.raises(auth.PasswordPolicyError) as refused:
            auth.create_user(session, username="newbie", password=password, role="viewer")
        assert f"cần ít nhất {auth.MIN_PASSWORD_LENGTH} ký tự" in refused.value.message("vi")
        assert f"needs at least {auth.MIN_PASSWORD_LENGTH}" in refused.value.message("en")
    with Session(engine) as session:
        assert session.exec(select(User).where(User.username == "newbie")).first() is None


# --- throttling -------------------------------------------------------------------------------------


def test_an_account_waits_after_five_failures_longer_each_time_then_logs_in(
    engine: Engine, network: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    for second in range(5):
        outcome = attempt(engine, "tq", "a wrong password here", at=NOW + timedelta(seconds=second))
        assert outcome.refusal == "failed" and outcome.wait_seconds == 0
    sixth = attempt(engine, "tq", "a wrong password here", at=NOW + timedelta(seconds=5))
    assert sixth.refusal == "failed" and sixth.wait_seconds == 30
    checks = CountedChecks(monkeypatch)
    held = attempt(engine, "TQ ", PASSWORD, at=NOW + timedelta(seconds=15))  # even the right password waits
    assert held.user is None and held.refusal == "throttled" and held.wait_seconds == 20
    assert held.message("vi") == "Quá nhiều lần đăng nhập sai. Thử lại sau 20 giây."
    assert held.message("en") == "Too many failed logins. Try again in 20 seconds."
    assert checks.hashes == []  # a held-back attempt computes no hash
    seventh = attempt(engine, "tq", "a wrong password here", at=NOW + timedelta(seconds=36))
    assert seventh.wait_seconds == 60  # doubled
    assert attempt(engine, "tq", PASSWORD, at=NOW + timedelta(seconds=97)).user is not None
    # success starts the account's count again
    assert attempt(engine, "tq", "a wrong password here", at=NOW + timedelta(seconds=98)).wait_seconds == 0


def test_failures_are_forgotten_an_hour_after_the_last(engine: Engine, network: dict[str, int]) -> None:
    for second in range(6):
        attempt(engine, "tq", "a wrong password here", at=NOW + timedelta(seconds=second))
    later = NOW + timedelta(seconds=5 + auth.ACCOUNT_THROTTLE.forget_after_seconds + 1)
    assert attempt(engine, "tq", "a wrong password here", at=later).wait_seconds == 0
    with Session(engine) as session:
        row = session.get(LoginThrottle, "account:tq")
        assert row is not None and row.failures == 1


def test_one_client_trying_many_names_waits_while_other_clients_do_not(
    engine: Engine, network: dict[str, int]
) -> None:
    free = auth.CLIENT_THROTTLE.free_failures
    for number in range(free):
        assert (
            attempt(engine, f"guess{number}", "a wrong password here", client="198.51.100.9").wait_seconds
            == 0
        )
    last = attempt(engine, "guess-last", "a wrong password here", client="198.51.100.9")
    assert last.wait_seconds == 30
    assert attempt(engine, "tq", PASSWORD, client="198.51.100.9").refusal == "throttled"
    assert attempt(engine, "tq", PASSWORD, client="192.0.2.1").user is not None


def test_the_throttle_is_shared_by_app_instances_on_one_database(
    engine: Engine, network: dict[str, int], empty_database_url: str
) -> None:
    second_instance = make_engine(empty_database_url)  # another process would open its own engine
    try:
        for second in range(3):
            attempt(engine, "tq", "a wrong password here", at=NOW + timedelta(seconds=second))
        for second in range(3, 6):
            attempt(second_instance, "tq", "a wrong password here", at=NOW + timedelta(seconds=second))
        assert attempt(engine, "tq", PASSWORD, at=NOW + timedelta(seconds=10)).refusal == "throttled"
    finally:
        second_instance.dispose()


# --- audit, disabled and demo accounts ----------------------------------------------------------------


def test_logins_failures_and_refusals_are_audited_without_secrets(
    engine: Engine, network: dict[str, int]
) -> None:
    attempt(engine, "tq", PASSWORD)
    attempt(engine, "tq", "a wrong password here")
    attempt(engine, "nobody", "a wrong password here")
    for second in range(6):
        attempt(engine, "tq", "a wrong password here", at=NOW + timedelta(seconds=second))
    attempt(engine, "tq", PASSWORD, at=NOW + timedelta(seconds=7))
    rows = [row for row in audit(engine) if str(row["action"]).startswith("login")]
    assert [(r["username"], r["action"]) for r in rows[:3]] == [
        ("tq", "login"),
        ("tq", "login_failed"),
        ("nobody", "login_failed"),
    ]
    assert rows[-1]["action"] == "login_failed"  # the held-back try is logged, not audited (no table growth)
    # the sixth failure of tq (second 4) starts a wait: seconds 5 and 7 are held back, unaudited
    assert len(rows) == 3 + 5
    assert all(json.loads(str(r["after"]))["client"] == "203.0.113.7" for r in rows)
    everything = json.dumps(audit(engine), default=str)
    assert PASSWORD not in everything and "a wrong password" not in everything and "$argon2" not in everything


def test_a_disabled_account_cannot_log_in_nor_keep_its_rights_until_enabled(
    engine: Engine, network: dict[str, int]
) -> None:
    with Session(engine) as session:
        auth.set_disabled(session, username="tq", disabled=True, by="boss")
        session.commit()
    refused = attempt(engine, "tq", PASSWORD)
    assert (
        refused.refusal == "disabled"
        and "bị khóa" in refused.message("vi")
        and "disabled" in refused.message("en")
    )
    with Session(engine) as session:
        assert auth.signed_in_user(session, "tq") is None  # an open session's next write is refused
        auth.set_disabled(session, username="tq", disabled=False, by="boss")
        session.commit()
    assert attempt(engine, "tq", PASSWORD, client="192.0.2.1").user is not None
    changes = [(r["username"], r["action"]) for r in audit(engine) if r["action"] in ("disable", "enable")]
    assert changes == [("boss", "disable"), ("boss", "enable")]


def test_demo_passwords_work_on_the_demo_database_only(engine: Engine, network: dict[str, int]) -> None:
    with Session(engine) as session:
        with pytest.raises(auth.PasswordPolicyError) as refused:
            auth.add_demo_users(session)
        assert "không phải cơ sở dữ liệu minh họa" in refused.value.message("vi")
        assert "not the demo database" in refused.value.message("en")
        # an account given its documented demo password anyway (an old seed, a hand-made row)
        user = session.exec(select(User).where(User.username == "tq")).one()
        user.password_hash = auth.hash_password(auth.demo_password("tq"))
        session.commit()
    outcome = attempt(engine, "tq", auth.demo_password("tq"))
    assert outcome.user is None and outcome.refusal == "demo_password"
    assert "set-password" in outcome.message("vi") and "set-password" in outcome.message("en")
    with engine.begin() as connection:
        record_demo_as_of(connection, date(2026, 1, 15))
    assert attempt(engine, "tq", auth.demo_password("tq"), client="192.0.2.1").user is not None
    with Session(engine) as session:
        added = auth.add_demo_users(session)
    assert "admin" in added and "viewer" in added
    assert attempt(engine, "admin", auth.demo_password("admin"), client="192.0.2.1").user is not None


# --- commands ---------------------------------------------------------------------------------------


def test_commands_change_a_password_a_role_and_disable_an_account_with_an_audit_row(
    engine: Engine,
    network: dict[str, int],
    empty_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answers = iter(["a brand new passphrase", "a brand new passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    def run(*argv: str) -> None:
        auth.main(["--database-url", empty_database_url, *argv])

    run("set-password", "tq")
    assert attempt(engine, "tq", "a brand new passphrase").user is not None
    assert attempt(engine, "tq", PASSWORD).user is None
    run("set-role", "tq", "--role", "viewer")
    run("disable", "tq")
    assert attempt(engine, "tq", "a brand new passphrase", client="192.0.2.1").refusal == "disabled"
    run("enable", "tq")
    with pytest.raises(SystemExit) as refused:
        run("set-role", "tq", "--role", "center_staff")
    assert "must belong to a center" in str(refused.value) and "phải thuộc một trung tâm" in str(
        refused.value
    )
    with pytest.raises(SystemExit) as refused:
        run("disable", "nobody")
    assert 'no account "nobody"' in str(refused.value)
    actions = [
        (r["username"], r["action"]) for r in audit(engine) if not str(r["action"]).startswith("login")
    ]
    assert actions[-4:] == [
        ("system", "password_change"),
        ("system", "role_change"),
        ("system", "disable"),
        ("system", "enable"),
    ]
    role_change = next(r for r in audit(engine) if r["action"] == "role_change")
    assert json.loads(str(role_change["before"]))["role"] == "center_staff"
    assert json.loads(str(role_change["after"]))["role"] == "viewer"
    assert "Enabled tq." in capsys.readouterr().out
