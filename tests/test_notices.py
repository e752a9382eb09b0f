"""Due-work notices against a real SMTP server on loopback, and the due-date calendar (.ics).

The seeded demo network (as of SEED_DAY) gets e-mail addresses by SQL for these tests: every staff
account its demo address, and admin and viewer one too, to show they get no notice. What a center's
notice lists is checked against an independent SQL query of the stored due dates (valid on the
seed day, which no certificate lies after).
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from dateutil.relativedelta import relativedelta
from icalendar import Calendar
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session

from services import calendar_export, notices
from services.auth import demo_username
from services.calendar_export import due_calendar_ics, event_uid
from services.filters import Filters
from services.i18n import translate
from services.notices import (
    CenterNotice,
    SmtpSettings,
    SmtpSettingsError,
    center_notices,
    demo_email,
    html_message,
    main,
    notify,
    smtp_settings,
)
from tests.conftest import SEED_DAY
from tests.page_support import open_page

WINDOW = 30
SENDER = "notices@metrology.invalid"
# equipment in service on the day, with the center that answers for it (a closed center's successor)
ANSWERING_CENTER = """
    FROM equipment e
    JOIN center c ON c.id = e.center_id
    LEFT JOIN center succ ON succ.id = c.successor_id AND c.active_to < :day
    WHERE NOT EXISTS (SELECT 1 FROM equipment_status_period p WHERE p.equipment_id = e.id AND p.status = 'retired' AND p.start_on <= :day) AND e.acquired_on <= :day
"""


def rows(engine: Engine, query: str, **params: object) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query), params).all()]


def days(day: date = SEED_DAY, window: int = WINDOW) -> dict[str, str]:
    return {"day": day.isoformat(), "soon": (day + timedelta(days=window)).isoformat()}


def expected_list(engine: Engine, center: str) -> dict[str, str]:
    """serial -> "overdue" / "due_soon", straight from the tables."""
    found = rows(
        engine,
        f"""
        SELECT e.serial_no, CASE WHEN e.next_due_on < :day THEN 'overdue' ELSE 'due_soon' END
        {ANSWERING_CENTER} AND e.next_due_on <= :soon AND COALESCE(succ.code, c.code) = :center""",
        center=center,
        **days(),
    )
    return dict(found)  # type: ignore[arg-type]


def busiest_center(engine: Engine) -> str:
    """The open center with an overdue and a due-soon item and the most items on the seed day."""
    (code,) = rows(
        engine,
        f"""
        SELECT COALESCE(succ.code, c.code) AS code
        {ANSWERING_CENTER} AND e.next_due_on <= :soon
        GROUP BY COALESCE(succ.code, c.code)
        HAVING SUM(CASE WHEN e.next_due_on < :day THEN 1 ELSE 0 END) > 0
           AND SUM(CASE WHEN e.next_due_on >= :day THEN 1 ELSE 0 END) > 0
        ORDER BY COUNT(*) DESC, COALESCE(succ.code, c.code) LIMIT 1""",
        **days(),
    )[0]
    return str(code)


def staff_addresses(engine: Engine, center: str) -> list[str]:
    return sorted(
        address
        for (address,) in rows(
            engine,
            """
        SELECT u.email FROM app_user u JOIN center c ON c.id = u.center_id
        WHERE u.role = 'center_staff' AND NOT u.disabled AND u.email IS NOT NULL AND c.code = :center""",
            center=center,
        )
    )


@pytest.fixture
def addressed(seeded_engine: Engine) -> Iterator[Engine]:
    """The seeded network with every account's demo address set (restored afterwards: others only read it)."""
    before = rows(seeded_engine, "SELECT id, username, email FROM app_user")
    with seeded_engine.begin() as connection:
        for user_id, username, _ in before:
            connection.execute(
                text("UPDATE app_user SET email = :email WHERE id = :id"),
                {"email": demo_email(username), "id": user_id},
            )
    yield seeded_engine
    with seeded_engine.begin() as connection:
        for user_id, _, address in before:
            connection.execute(
                text("UPDATE app_user SET email = :email WHERE id = :id"), {"email": address, "id": user_id}
            )


class Mailbox:
    """An aiosmtpd handler that keeps what arrives; addresses in ``refuse`` are refused (550)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[misc]
            for _, _, data in self.received
        ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, SmtpSettings]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, SmtpSettings(host="127.0.0.1", port=port, sender=SENDER)
    finally:
        controller.stop()


@pytest.fixture
def smtp_environment(
    mailbox: tuple[Mailbox, SmtpSettings], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Mailbox:
    """SMTP_* in the environment naming the loopback server; no secrets file in the way."""
    box, settings = mailbox
    for name in notices.SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMTP_HOST", settings.host)
    monkeypatch.setenv("SMTP_PORT", str(settings.port))
    monkeypatch.setenv("SMTP_FROM", settings.sender)
    monkeypatch.setattr(notices, "SECRETS_PATH", tmp_path / "absent-secrets.toml")
    return box


def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def listed(body: str, heading_to_status: dict[str, str]) -> dict[str, str]:
    """serial -> status as the Vietnamese block of a plain-text notice lists it."""
    english_title = translate("notices.title", "en", center="", code="", date="").split(" — ")[0]
    found, status = {}, None
    for line in body.splitlines():
        if line.startswith(english_title):
            break
        heading = re.fullmatch(r"(.+) \(\d+\)", line)
        if heading and heading.group(1) in heading_to_status:
            status = heading_to_status[heading.group(1)]
        elif line.startswith("- ") and status:
            found[line[2:].split(" · ")[0]] = status
        elif line:
            status = None  # another block (the capabilities at risk, the footer)
    return found


VI_HEADINGS = {
    translate("notices.section.overdue", "vi"): "overdue",
    translate("notices.section.due_soon", "vi", days=WINDOW): "due_soon",
}


def test_demo_addresses_can_never_be_delivered() -> None:
    assert demo_email("ttkt31") == "ttkt31@demo.metrology.invalid"
    assert demo_email("imts").endswith(".invalid")


def test_each_center_gets_one_message_listing_what_sql_finds_due(
    addressed: Engine, mailbox: tuple[Mailbox, SmtpSettings]
) -> None:
    box, settings = mailbox
    with Session(addressed) as session:
        report = notify(session, as_of=SEED_DAY, window_days=WINDOW, settings=settings)
    assert report.ok and not report.failed
    centers_due = {
        code
        for (code,) in rows(
            addressed,
            f"""
        SELECT DISTINCT COALESCE(succ.code, c.code) {ANSWERING_CENTER} AND e.next_due_on <= :soon""",
            **days(),
        )
    }
    assert {code for code, _ in report.sent} | set(report.no_recipients) == centers_due
    assert len(box.received) == len(report.sent)
    by_center = {}
    for (mail_from, recipients, _), message in zip(box.received, box.messages(), strict=True):
        code = re.match(r"\[Metrology\] (\S+):", str(message["subject"])).group(1)  # type: ignore[union-attr]
        by_center[code] = message
        assert mail_from == SENDER
        assert recipients == staff_addresses(addressed, code)  # staff of that center only
        assert not {demo_email("admin"), demo_email("viewer")} & set(recipients)
    assert set(by_center) == {code for code, _ in report.sent}

    code = busiest_center(addressed)
    expected = expected_list(addressed, code)
    overdue = sum(status == "overdue" for status in expected.values())
    message = by_center[code]
    assert str(message["subject"]) == (
        f"[Metrology] {code}: {overdue} quá hạn, {len(expected) - overdue} sắp đến hạn"
        f" / {overdue} overdue, {len(expected) - overdue} due soon"
    )
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert listed(plain, VI_HEADINGS) == expected
    assert plain.index("Thiết bị đến hạn hiệu chuẩn") < plain.index("Equipment due for calibration")
    (name_vi,) = rows(addressed, "SELECT name_vi FROM center WHERE code = :code", code=code)[0]
    assert name_vi in plain and re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", name_vi)
    assert "quá hạn" in plain and "Quá hạn" in plain and "Dữ liệu minh họa" in plain
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert all(serial in html for serial in expected) and "Quá hạn" in html


def test_send_through_the_command_line_for_one_center(
    addressed: Engine, smtp_environment: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code = busiest_center(addressed)
    exit_code = main(
        [
            "--as-of",
            SEED_DAY.isoformat(),
            "--center",
            code,
            "--send",
            "--database-url",
            database_url(addressed),
        ]
    )
    assert exit_code == 0
    assert [recipients for _, recipients, _ in smtp_environment.received] == [
        staff_addresses(addressed, code)
    ]
    (message,) = smtp_environment.messages()
    assert listed(message.get_body(("plain",)).get_content(), VI_HEADINGS) == expected_list(addressed, code)  # type: ignore[union-attr]
    assert f"✔ {code}" in capsys.readouterr().out


def test_without_send_it_prints_and_sends_nothing(
    addressed: Engine, smtp_environment: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code = busiest_center(addressed)
    assert (
        main(["--as-of", SEED_DAY.isoformat(), "--center", code, "--database-url", database_url(addressed)])
        == 0
    )
    out = capsys.readouterr().out
    assert smtp_environment.received == []
    assert f"[Metrology] {code}:" in out and "quá hạn" in out
    assert set(expected_list(addressed, code)) <= set(re.findall(r"^- (\S+) · ", out, flags=re.MULTILINE))


def test_missing_settings_stop_before_anything_is_sent(
    addressed: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in notices.SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(notices, "SECRETS_PATH", tmp_path / "absent-secrets.toml")
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    assert main(["--as-of", SEED_DAY.isoformat(), "--send", "--database-url", database_url(addressed)]) == 2
    error = capsys.readouterr().err
    assert (
        "SMTP_PORT, SMTP_FROM" in error
        and "Thiếu cấu hình SMTP" in error
        and "SMTP settings missing" in error
    )


def test_settings_come_from_secrets_and_the_environment_wins(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[smtp]\nhost = "mail.example.invalid"\nport = 587\nfrom = "a@example.invalid"\n'
        'user = "u"\npassword = "p"\nstarttls = true\n',
        encoding="utf-8",
    )
    settings = smtp_settings({"SMTP_HOST": "relay.example.invalid"}, secrets)
    assert settings == SmtpSettings(
        host="relay.example.invalid",
        port=587,
        sender="a@example.invalid",
        user="u",
        password="p",
        starttls=True,
    )
    with pytest.raises(SmtpSettingsError, match="SMTP_USER"):
        smtp_settings(
            {"SMTP_HOST": "h", "SMTP_PORT": "25", "SMTP_FROM": "f@x.invalid", "SMTP_USER": "u"},
            tmp_path / "none.toml",
        )
    with pytest.raises(SmtpSettingsError, match="SMTP_PORT"):
        smtp_settings(
            {"SMTP_HOST": "h", "SMTP_PORT": "smtp", "SMTP_FROM": "f@x.invalid"}, tmp_path / "none.toml"
        )


def test_a_center_whose_message_fails_is_reported_and_the_others_still_go(
    addressed: Engine, mailbox: tuple[Mailbox, SmtpSettings]
) -> None:
    box, settings = mailbox
    code = busiest_center(addressed)
    box.refuse = set(staff_addresses(addressed, code))
    with Session(addressed) as session:
        report = notify(session, as_of=SEED_DAY, window_days=WINDOW, settings=settings)
    assert [failed for failed, _ in report.failed] == [code]
    assert "SMTPRecipientsRefused" in report.failed[0][1]
    assert len(report.sent) >= 1 and len(box.received) == len(report.sent)
    assert code not in {sent for sent, _ in report.sent}


def test_an_unreachable_server_fails_every_center_without_stopping(addressed: Engine) -> None:
    with Session(addressed) as session:
        report = notify(
            session, as_of=SEED_DAY, settings=SmtpSettings(host="127.0.0.1", port=free_port(), sender=SENDER)
        )
    assert report.failed and not report.sent
    assert all("ConnectionRefusedError" in error for _, error in report.failed)


def test_html_part_escapes_what_it_shows() -> None:
    items = pd.DataFrame(
        [
            {
                "equipment_id": 1,
                "center_id": 1,
                "center_code": "X",
                "name": "<b>Cân & bàn</b>",
                "serial_no": "S<1>",
                "type_name_vi": "Cân",
                "type_name_en": "Scale",
                "is_reference_standard": False,
                "due_on": date(2026, 1, 1),
                "days_to_due": -3,
                "status": "overdue",
            }
        ]
    )
    notice = CenterNotice(
        center_id=1,
        center_code="X",
        center_name_vi="Trung tâm <X>",
        center_name_en="Center <X>",
        as_of=date(2026, 1, 4),
        window_days=WINDOW,
        items=items,
    )
    page = html_message(notice)
    assert (
        "&lt;b&gt;Cân &amp; bàn&lt;/b&gt;" in page and "S&lt;1&gt;" in page and "Trung tâm &lt;X&gt;" in page
    )
    assert "<b>Cân" not in page
    assert "quá hạn 3 ngày" in page and "3 days overdue" in page


def test_staff_of_a_center_and_nobody_else_receive_its_notice(addressed: Engine) -> None:
    code = busiest_center(addressed)
    with Session(addressed) as session:
        (notice,) = center_notices(session, as_of=SEED_DAY, center=code)
    assert list(notice.recipients) == staff_addresses(addressed, code) == [demo_email(demo_username(code))]


# --- the calendar -------------------------------------------------------------------------------------------


def test_calendar_has_one_all_day_event_per_equipment_due_in_the_next_months(seeded_engine: Engine) -> None:
    code = busiest_center(seeded_engine)
    until = SEED_DAY + relativedelta(months=3)
    expected = {
        (int(equipment_id), date.fromisoformat(str(due)[:10]), serial)
        for equipment_id, due, serial in rows(
            seeded_engine,
            f"""SELECT e.id, e.next_due_on, e.serial_no {ANSWERING_CENTER}
            AND e.next_due_on >= :day AND e.next_due_on <= :until AND COALESCE(succ.code, c.code) = :center""",
            day=SEED_DAY.isoformat(),
            until=until.isoformat(),
            center=code,
        )
    }
    assert expected
    with Session(seeded_engine) as session:
        data = due_calendar_ics(session, Filters(as_of=SEED_DAY, center=code), months=3)
        again = due_calendar_ics(session, Filters(as_of=SEED_DAY, center=code), months=3)
    assert data == again  # the same view gives the same file
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == len(expected)
    by_uid = {str(event["uid"]): event for event in events}
    for equipment_id, due_on, serial in expected:
        event = by_uid[event_uid(equipment_id, due_on)]
        start = event.decoded("dtstart")
        assert isinstance(start, date) and not isinstance(start, datetime) and start == due_on
        assert event.decoded("dtend") == due_on + timedelta(days=1)
        assert serial in str(event["summary"])
        description = str(event["description"])
        assert "đến hạn hiệu chuẩn ngày" in description and "calibration due on" in description
        assert description.index("đến hạn") < description.index("calibration due")
    assert event.decoded("dtstamp") == datetime(SEED_DAY.year, SEED_DAY.month, SEED_DAY.day, tzinfo=UTC)


def test_coverage_page_offers_the_calendar_next_to_the_due_list(
    app_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The button sits after the due list's; the file is made on the click only (a year of due
    dates is thousands of events: building it on every visit was most of a cold coverage page)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    saved: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):  # type: ignore[no-untyped-def]
        if filename and isinstance(path_or_data, bytes):
            saved[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    built: list[str] = []
    monkeypatch.setattr(
        calendar_export, "due_calendar_ics", lambda *args, **kwargs: built.append("ics") or b""
    )
    for lang, label in (("vi", "Tải lịch (.ics)"), ("en", "Download calendar (.ics)")):
        app = open_page("pages/coverage.py", lang=lang)
        labels = [element.proto.label for element in app.get("download_button")]
        assert label in labels
        assert labels.index(label) == labels.index(translate("coverage.todo.download", lang)) + 1
    assert not built and not any(name.endswith(".ics") for name in saved)
    with Session(create_engine(app_database)) as session:  # the file the click makes
        events = Calendar.from_ical(due_calendar_ics(session, Filters(as_of=SEED_DAY))).walk("VEVENT")
    assert events and all(event.decoded("dtstart") >= SEED_DAY for event in events)


# --- the data page's own-center list ---------------------------------------------------------------------


def _own_center_list_script(username: str, role: str, center_code: str | None, as_of: str) -> None:
    from datetime import date

    from sqlmodel import Session, select

    from services.auth import SignedInUser
    from services.filters import Filters
    from services.models import Center
    from ui.data import engine
    from ui.notices import own_center_due_list

    with Session(engine()) as session:
        center = (
            session.exec(select(Center).where(Center.code == center_code)).first() if center_code else None
        )
    user = SignedInUser(
        username=username, role=role, center_id=center.id if center else None, center_code=center_code
    )
    own_center_due_list(user, Filters(as_of=date.fromisoformat(as_of)))


def _run_own_center_list(username: str, role: str, center_code: str | None):  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(
        _own_center_list_script, args=(username, role, center_code, SEED_DAY.isoformat()), default_timeout=60
    )
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_staff_see_their_own_centers_due_list(app_database: str) -> None:
    engine_ = create_engine(app_database)
    try:
        code = busiest_center(engine_)
        expected = expected_list(engine_, code)
    finally:
        engine_.dispose()
    app = _run_own_center_list(demo_username(code), "center_staff", code)
    assert [str(s.value) for s in app.subheader] == [translate("notices.ui.title", "vi", center=code)]
    table = app.dataframe[0]  # the equipment; the capabilities at risk may follow
    assert set(table.value[translate("coverage.column.serial_no", "vi")]) == set(expected)


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_admins_and_viewers_see_no_own_center_list(app_database: str, role: str) -> None:
    app = _run_own_center_list(role, role, None)
    assert not app.subheader and not app.dataframe


def test_notices_name_the_capabilities_their_listed_standards_put_at_risk(seeded_engine: Engine) -> None:
    from services.capability_state import capability_states

    with Session(seeded_engine) as session:
        found = center_notices(session, as_of=SEED_DAY, window_days=WINDOW)
        states = capability_states(session, Filters(as_of=SEED_DAY, due_window_days=WINDOW)).set_index(
            "capability_id"
        )
    links = rows(
        seeded_engine,
        "SELECT cs.capability_id, e.serial_no FROM capability_standard cs "
        "JOIN equipment e ON e.id = cs.equipment_id",
    )
    if not links:
        pytest.skip("the seeded network records no capability standards yet")
    named = 0
    for notice in found:
        listed_serials = set(notice.items["serial_no"])
        expected = {
            capability: sorted(
                serial for cap, serial in links if cap == capability and serial in listed_serials
            )
            for capability in {cap for cap, serial in links if serial in listed_serials}
            if states.loc[capability, "state"] != "in_force"
        }
        shown = {
            int(row["capability_id"]): sorted(row["serial_nos"].split(", "))
            for row in notice.capabilities.to_dict("records")
        }  # type: ignore[union-attr]
        assert shown == expected, notice.center_code
        for row in notice.capabilities.to_dict("records"):  # type: ignore[union-attr]
            assert row["state"] == states.loc[row["capability_id"], "state"]
        named += len(shown)
        if shown:
            assert translate("notices.capability.title", "vi") in notices.text_message(notice)
    assert named > 0, "on the seed day some overdue standard should put a capability at risk"


def test_the_data_page_shows_staff_their_centers_due_work_first(app_database: str) -> None:
    from streamlit.testing.v1 import AppTest

    from services.auth import SignedInUser
    from tests.page_support import HARNESS

    database = create_engine(app_database)
    (center_id,) = rows(database, "SELECT id FROM center WHERE code = 'TTKT-31'")[0]
    database.dispose()
    app = AppTest.from_file(HARNESS, default_timeout=180)
    app.session_state["harness_page"] = "pages/data.py"
    app.query_params["lang"] = "en"
    app.session_state["signed_in_user"] = SignedInUser(
        username="ttkt31", role="center_staff", center_id=int(center_id), center_code="TTKT-31"
    )
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert str(app.subheader[0].value) == translate("notices.ui.title", "en", center="TTKT-31")
