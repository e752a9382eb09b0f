"""Logins, who may edit which center, and edits that are all-or-nothing and audited."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine, text
from sqlmodel import Session

from services import auth, editing
from services.audit import LOCAL_TIME_ZONE, audit_log, audit_tables
from tests import tiny_network
from tests.test_imports import fingerprint

pytestmark = pytest.mark.usefixtures("cheap_password_hashes")


@pytest.fixture
def network(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        ids = tiny_network.build(session)
        auth.create_user(
            session, username="TQ", password="Secret-1 long enough", role="center_staff", center_code="C-TQ"
        )
        auth.create_user(
            session,
            username="imts",
            password="a long enough password",
            role="center_staff",
            center_code="IMTS",
        )
        auth.create_user(session, username="boss", password="a long enough password", role="admin")
        auth.create_user(session, username="reader", password="a long enough password", role="viewer")
        session.commit()
    return ids


def test_password_hashes_are_salted_argon2id_and_verify_only_the_right_password() -> None:
    first, second = auth.hash_password("Mật khẩu 1"), auth.hash_password("Mật khẩu 1")
    assert first != second and first.startswith("$argon2id$")
    assert auth.verify_password("Mật khẩu 1", first)
    assert not auth.verify_password("mật khẩu 1", first)
    assert not auth.verify_password("x", None) and not auth.verify_password("x", "garbage")


def test_login_needs_the_right_password_and_ignores_the_names_case(
    engine: Engine, network: dict[str, int]
) -> None:
    with Session(engine) as session:
        user = auth.authenticate(session, " tq ", "Secret-1 long enough")
        assert user is not None and (user.username, user.role, user.center_code) == (
            "tq",
            "center_staff",
            "C-TQ",
        )
        assert auth.authenticate(session, "tq", "secret-1 long enough") is None
        assert auth.authenticate(session, "nobody", "Secret-1 long enough") is None


def test_staff_edit_their_own_center_admins_any_viewers_none(engine: Engine, network: dict[str, int]) -> None:
    with Session(engine) as session:
        staff, admin, viewer = (auth.signed_in_user(session, name) for name in ("tq", "boss", "reader"))
    assert staff.can_edit(network["tq"]) and not staff.can_edit(network["imts"])  # type: ignore[union-attr]
    assert admin.can_edit(network["tq"]) and admin.can_edit(network["imts"])  # type: ignore[union-attr]
    assert not viewer.can_edit(network["tq"])  # type: ignore[union-attr]
    with Session(engine) as session:
        assert list(editing.centers_for(session, staff, today=tiny_network.AS_OF)["code"]) == ["C-TQ"]
        # the closed Ha Giang center is not offered after the merger
        assert list(editing.centers_for(session, admin, today=tiny_network.AS_OF)["code"]) == ["C-TQ", "IMTS"]


def current_versions(engine: Engine, center_id: int) -> dict[int, int]:
    with Session(engine) as session:
        frame = editing.equipment_for_editing(session, center_id=center_id)
    return dict(zip(frame["id"], frame["version"], strict=True))


def save(engine: Engine, changes: dict[int, dict[str, object]], username: str = "tq") -> editing.EditResult:
    """A save based on the rows as they are now (the editor just opened)."""
    with Session(engine) as session:
        return editing.save_equipment_edits(
            session,
            username=username,
            center_code="C-TQ",
            changes=changes,
            base_versions=current_versions(engine, tiny_network_tq(session)),
        )


def tiny_network_tq(session: Session) -> int:
    return int(session.execute(text("SELECT id FROM center WHERE code = 'C-TQ'")).scalar_one())


def test_an_edit_changes_the_row_and_logs_before_and_after(engine: Engine, network: dict[str, int]) -> None:
    result = save(
        engine, {network["overdue"]: {"status": "Đang sửa chữa", "range": "0–600 bar", "model": "X2"}}
    )
    assert result.ok and result.changed == 1
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT status, model, range_max, range_unit, range_max_si FROM equipment WHERE id = :id"),
            {"id": network["overdue"]},
        ).one()
        log = connection.execute(
            text(
                "SELECT username, action, before, after, center_id FROM audit_log "
                "WHERE table_name = 'equipment'"
            )
        ).one()
    assert tuple(row) == ("repair", "X2", 600, "bar", pytest.approx(6e7))
    assert (log.username, log.action, log.center_id) == ("tq", "update", network["tq"])
    # only what changed is logged: 600 bar is still 6e7 Pa, so the SI ends are not in the log
    assert json.loads(log.before) == {
        "model": "CPG1500",
        "range_max": 60.0,
        "range_unit": "MPa",
        "status": "in_service",
    }
    assert json.loads(log.after) == {
        "model": "X2",
        "range_max": 600.0,
        "range_unit": "bar",
        "status": "repair",
    }


def test_an_unchanged_range_text_is_not_an_edit(engine: Engine, network: dict[str, int]) -> None:
    with Session(engine) as session:
        frame = editing.center_equipment(session, center_id=network["tq"])
    shown = frame.set_index("id").loc[network["overdue"], "range"]
    assert shown == "0–60 MPa"
    before = fingerprint(engine)
    result = save(engine, {network["overdue"]: {"range": shown, "status": "in_service"}})
    assert result.ok and result.changed == 0
    assert fingerprint(engine) == before


def test_one_bad_cell_saves_nothing(engine: Engine, network: dict[str, int]) -> None:
    before = fingerprint(engine)
    result = save(engine, {network["overdue"]: {"model": "X2"}, network["due_soon"]: {"range": "0–60 bbar"}})
    assert [(p.serial, p.column, p.key) for p in result.problems] == [
        ("SOON-1", "range", "units.error.unknown_unit")
    ]
    assert (
        result.problems[0]
        .located("vi")
        .startswith('Thiết bị SOON-1, cột "range": Không nhận ra đơn vị "bbar"')
    )
    assert fingerprint(engine) == before


def test_staff_cannot_edit_another_centers_equipment(engine: Engine, network: dict[str, int]) -> None:
    before = fingerprint(engine)
    with Session(engine) as session:
        other = editing.save_equipment_edits(
            session, username="imts", center_code="C-TQ", changes={network["overdue"]: {"model": "X"}}
        )
        smuggled = editing.save_equipment_edits(
            session, username="tq", center_code="C-TQ", changes={network["future"]: {"model": "X"}}
        )  # an IMTS row
    assert [p.key for p in other.problems] == ["data.error.not_allowed"]
    assert [p.key for p in smuggled.problems] == ["data.error.not_allowed"]
    assert fingerprint(engine) == before


@pytest.mark.date_sensitive
def test_the_audit_log_filters_by_center_and_table(engine: Engine, network: dict[str, int]) -> None:
    # the log stamps the real clock; set it to 00:30 in Vietnam, still the day before in UTC
    with time_machine.travel(datetime(2031, 3, 14, 0, 30, tzinfo=ZoneInfo(LOCAL_TIME_ZONE)), tick=False):
        assert save(engine, {network["overdue"]: {"model": "X2"}}).ok
    with Session(engine) as session:
        assert audit_tables(session, center_id=network["tq"]) == ["equipment"]
        assert audit_tables(session, center_id=network["imts"]) == []
        log = audit_log(session, center_id=network["tq"], table_name="equipment")
        assert list(log["username"]) == ["tq"] and list(log["center_code"]) == ["C-TQ"]
        assert audit_log(session, center_id=network["tq"], since=date(2031, 3, 14)).shape[0] == 1
        assert audit_log(session, center_id=network["tq"], until=date(2031, 3, 14)).shape[0] == 1
        assert audit_log(session, center_id=network["tq"], since=date(2031, 3, 15)).empty
        assert audit_log(session, center_id=network["tq"], until=date(2031, 3, 13)).empty


def test_the_export_lists_the_centers_certificates(engine: Engine, network: dict[str, int]) -> None:
    with Session(engine) as session:
        certificates = editing.center_calibrations(session, center_id=network["tq"])
    assert sorted(certificates["certificate_no"]) == ["IMTS-0001", "IMTS-0002", "IMTS-0003", "IMTS-0004"]
    assert list(certificates.columns) == editing.CALIBRATION_FRAME_COLUMNS
