"""Administrators manage accounts through services that check who acts; OIDC addresses map to roles."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from services import accounts, auth, editing, oidc
from services.auth import PasswordPolicyError
from tests import tiny_network
from tests.test_imports import fingerprint

pytestmark = pytest.mark.usefixtures("cheap_password_hashes")
GOOD = "a long enough password"


@pytest.fixture
def network(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        ids = tiny_network.build(session)
        auth.create_user(session, username="boss", password=GOOD, role="admin")
        auth.create_user(session, username="tq", password=GOOD, role="center_staff", center_code="C-TQ")
        auth.create_user(session, username="reader", password=GOOD, role="viewer")
        session.commit()
    return ids


def audit_rows(engine: Engine, table: str = "app_user") -> list[tuple[str, str, str | None]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text("SELECT username, action, after FROM audit_log WHERE table_name = :table ORDER BY id"),
                {"table": table},
            )
        ]


def refused(engine: Engine, service, **options) -> PasswordPolicyError:  # type: ignore[no-untyped-def]
    """Call a service expected to refuse; the database must be exactly as before."""
    before = fingerprint(engine)
    with Session(engine) as session, pytest.raises(PasswordPolicyError) as error:
        service(session, **options)
    assert fingerprint(engine) == before
    return error.value


def test_an_admin_adds_an_account_that_logs_in_and_the_audit_names_the_admin(
    engine: Engine, network: dict[str, int]
) -> None:
    with Session(engine) as session:
        accounts.add_account(
            session,
            actor="boss",
            username=" New.Staff ",
            password="Hải Phòng đo lường 2024",
            role="center_staff",
            center_code="C-TQ",
            email="New.Staff@Example.org",
        )
    with Session(engine) as session:
        listed = accounts.list_accounts(session, actor="boss").set_index("username")
        assert listed.loc["new.staff"].tolist() == ["center_staff", "C-TQ", "new.staff@example.org", False]
        assert auth.log_in(session, "new.staff", "Hải Phòng đo lường 2024").user is not None
    who, action, after = audit_rows(engine)[-2]
    assert (who, action) == ("boss", "insert") and json.loads(str(after))["email"] == "new.staff@example.org"


@pytest.mark.parametrize(
    ("password", "key"),
    [
        ("short one", "auth.error.password_too_short"),
        ("abababababababab", "accounts.error.password_too_simple"),
        ("my name is newcomer, ok", "accounts.error.password_has_name"),
    ],
)
def test_a_weak_initial_password_is_refused_in_both_languages(
    engine: Engine, network: dict[str, int], password: str, key: str
) -> None:
    error = refused(
        engine, accounts.add_account, actor="boss", username="newcomer", password=password, role="viewer"
    )
    assert error.key == key
    assert error.message("vi") != error.message("en") and "{" not in error.message("vi") + error.message("en")


def test_a_bad_email_and_an_unknown_role_are_refused(engine: Engine, network: dict[str, int]) -> None:
    assert (
        refused(
            engine,
            accounts.add_account,
            actor="boss",
            username="newcomer",
            password=GOOD,
            role="viewer",
            email="not an address",
        ).key
        == "accounts.error.bad_email"
    )
    assert (
        refused(
            engine, accounts.add_account, actor="boss", username="newcomer", password=GOOD, role="superuser"
        ).key
        == "accounts.error.bad_role"
    )


@pytest.mark.parametrize("actor", ["tq", "reader", "nobody", ""])
def test_only_an_active_admin_may_manage_accounts(
    engine: Engine, network: dict[str, int], actor: str
) -> None:
    for service, options in [
        (accounts.list_accounts, {}),
        (accounts.account_log, {}),
        (accounts.list_oidc_accounts, {}),
        (accounts.map_oidc_email, {"email": "me@example.org", "role": "admin"}),
        (accounts.add_account, {"username": "newcomer", "password": GOOD, "role": "admin"}),
        (accounts.set_account_disabled, {"username": "boss", "disabled": True}),
        (accounts.reset_password, {"username": "boss", "password": "taken over by them"}),
        (accounts.change_role, {"username": actor or "reader", "role": "admin"}),
    ]:
        assert refused(engine, service, actor=actor, **options).key == "accounts.error.admins_only"


def test_a_disabled_admin_loses_the_power_at_once(engine: Engine, network: dict[str, int]) -> None:
    with Session(engine) as session:
        accounts.add_account(session, actor="boss", username="second", password=GOOD, role="admin")
        accounts.set_account_disabled(session, actor="second", username="boss", disabled=True)
    assert (
        refused(
            engine, accounts.reset_password, actor="boss", username="tq", password="another good password"
        ).key
        == "accounts.error.admins_only"
    )


def test_disable_enable_reset_and_role_change_are_audited_by_the_admin(
    engine: Engine, network: dict[str, int]
) -> None:
    with Session(engine) as session:
        accounts.set_account_disabled(session, actor="boss", username="tq", disabled=True)
        assert auth.log_in(session, "tq", GOOD).refusal == "disabled"
        accounts.set_account_disabled(session, actor="boss", username="tq", disabled=False)
        accounts.reset_password(session, actor="boss", username="tq", password="a fresh passphrase here")
        accounts.change_role(session, actor="boss", username="tq", role="center_staff", center_code="IMTS")
        user = auth.log_in(session, "tq", "a fresh passphrase here").user
    assert user is not None and user.center_code == "IMTS"
    actions = [(who, action) for who, action, _ in audit_rows(engine) if not action.startswith("login")]
    assert actions[-4:] == [
        ("boss", "disable"),
        ("boss", "enable"),
        ("boss", "password_change"),
        ("boss", "role_change"),
    ]
    with Session(engine) as session:  # the page's change log: newest first, logins included
        log = accounts.account_log(session, actor="boss")
    assert list(log["action"])[:3] == ["login", "role_change", "password_change"]
    assert list(log.columns) == ["at", "username", "table_name", "row_id", "action", "before", "after"]


def test_an_admin_cannot_disable_or_demote_themselves(engine: Engine, network: dict[str, int]) -> None:
    error = refused(engine, accounts.set_account_disabled, actor="boss", username="boss", disabled=True)
    assert error.key == "accounts.error.not_yourself"
    assert (
        refused(engine, accounts.change_role, actor="boss", username="BOSS ", role="viewer").key
        == "accounts.error.not_yourself"
    )
    with Session(engine) as session:  # staying admin while choosing a center is not a demotion
        accounts.change_role(session, actor="boss", username="boss", role="admin", center_code="IMTS")


def test_the_last_active_admin_cannot_be_disabled_or_demoted_even_by_a_command(
    engine: Engine, network: dict[str, int]
) -> None:
    error = refused(engine, auth.set_disabled, username="boss", disabled=True)
    assert error.key == "accounts.error.last_admin" and "boss" in error.message("vi")
    assert refused(engine, auth.set_role, username="boss", role="viewer").key == "accounts.error.last_admin"
    with Session(engine) as session:  # with a second admin, the first may go
        accounts.add_account(session, actor="boss", username="second", password=GOOD, role="admin")
        accounts.change_role(session, actor="second", username="boss", role="viewer")
    assert (
        refused(engine, auth.set_disabled, username="second", disabled=True).key
        == "accounts.error.last_admin"
    )


# --- OIDC ---------------------------------------------------------------------------------------------


def test_an_oidc_address_gets_the_role_and_center_of_its_row_and_nothing_else(
    engine: Engine, network: dict[str, int]
) -> None:
    with Session(engine) as session:
        oidc.map_email(
            session, email="Staff@TQ.example.vn", role="center_staff", center_code="C-TQ", by="boss"
        )
        session.commit()
        user = oidc.sign_in(session, email="staff@tq.example.vn")
        assert user is not None and (user.username, user.role, user.center_code) == (
            "staff@tq.example.vn",
            "center_staff",
            "C-TQ",
        )
        assert oidc.sign_in(session, email="stranger@example.org") is None
        assert oidc.sign_in(session, email=None) is None
    actions = [(who, action) for who, action, _ in audit_rows(engine, "oidc_account")]
    assert actions == [
        ("boss", "insert_oidc"),
        ("staff@tq.example.vn", "login_oidc"),
        ("stranger@example.org", "login_oidc_refused"),
        ("—", "login_oidc_refused"),
    ]


def test_an_oidc_staff_member_edits_only_their_center_until_the_row_is_disabled(
    engine: Engine, network: dict[str, int]
) -> None:
    with Session(engine) as session:
        oidc.map_email(session, email="staff@tq.example.vn", role="center_staff", center_code="C-TQ")
        session.commit()
        frame = editing.equipment_for_editing(session, center_id=network["tq"])
    versions = dict(zip(frame["id"], frame["version"], strict=True))
    with Session(engine) as session:
        saved = editing.save_equipment_edits(
            session,
            username="staff@tq.example.vn",
            center_code="C-TQ",
            changes={network["overdue"]: {"model": "X2"}},
            base_versions=versions,
        )
        assert saved.ok
        other = editing.save_equipment_edits(
            session,
            username="staff@tq.example.vn",
            center_code="IMTS",
            changes={network["future"]: {"model": "X"}},
            base_versions=versions,
        )
        assert [p.key for p in other.problems] == ["data.error.not_allowed"]
        oidc.map_email(
            session, email="staff@tq.example.vn", role="center_staff", center_code="C-TQ", disabled=True
        )
        session.commit()
        assert auth.signed_in_user(session, "staff@tq.example.vn") is None
        assert oidc.sign_in(session, email="staff@tq.example.vn") is None


def test_an_oidc_row_for_staff_needs_a_center_and_a_real_address(
    engine: Engine, network: dict[str, int]
) -> None:
    assert (
        refused(engine, oidc.map_email, email="staff@tq.example.vn", role="center_staff").key
        == "auth.error.staff_need_center"
    )
    assert (
        refused(engine, oidc.map_email, email="no-at-sign", role="viewer").key == "accounts.error.bad_email"
    )


def test_the_map_email_command_gives_an_address_its_rights(
    engine: Engine, network: dict[str, int], empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    auth.main(
        [
            "--database-url",
            empty_database_url,
            "map-email",
            "Head@IMTS.example.vn",
            "--role",
            "center_staff",
            "--center",
            "IMTS",
        ]
    )
    assert "head@imts.example.vn signs in through OIDC as center_staff" in capsys.readouterr().out
    with Session(engine) as session:
        user = auth.signed_in_user(session, "head@imts.example.vn")
    assert user is not None and user.center_code == "IMTS"
    with pytest.raises(SystemExit) as refused_command:
        auth.main(["--database-url", empty_database_url, "map-email", "x@y.vn", "--role", "center_staff"])
    assert "must belong to a center" in str(refused_command.value)


def test_an_admin_maps_an_oidc_address_from_the_app_and_the_audit_names_them(
    engine: Engine, network: dict[str, int]
) -> None:
    with Session(engine) as session:
        accounts.map_oidc_email(
            session, actor="boss", email="Head@TQ.example.vn", role="center_staff", center_code="C-TQ"
        )
        listed = accounts.list_oidc_accounts(session, actor="boss")
    assert listed.values.tolist() == [["head@tq.example.vn", "center_staff", "C-TQ", False]]
    assert audit_rows(engine, "oidc_account")[-1][:2] == ("boss", "insert_oidc")
    with Session(engine) as session:  # an admin signed in through OIDC cannot lock themselves out
        accounts.map_oidc_email(session, actor="boss", email="chief@example.vn", role="admin")
    assert (
        refused(
            engine, accounts.map_oidc_email, actor="chief@example.vn", email="Chief@example.vn", role="viewer"
        ).key
        == "accounts.error.not_yourself"
    )
