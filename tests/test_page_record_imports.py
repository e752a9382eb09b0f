"""The data page's import of services and cooperation records, and the administrator's restore, through AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlmodel import Session

from services import auth, backup
from services.auth import demo_password
from services.db import make_engine
from services.models import Capability, CapabilityStandard, Center, Equipment, InstrumentType
from services.standard_fit import covers_range
from tests import test_page_data_management as data_page
from tests.page_support import assert_no_raw_keys
from tests.test_page_data_management import log_in, scalar, sign_in, texts

# the data page's fixtures: a private copy of the seeded database, widget labels in the test's language
writable_database = data_page.writable_database
widget_labels_in_the_tests_language = data_page.widget_labels_in_the_tests_language

DONE = {
    "vi": "Đã nhập vào TTKT-31: {added} mới, {updated} thay đổi",
    "en": "Imported into TTKT-31: {added} new, {updated} changed",
}


def backup_downloads(app):  # type: ignore[no-untyped-def]
    """The backup's download button, once a file was made (an empty list before)."""
    return [button for button in app.get("download_button") if button.key == "backup-download"]


def a_covering_link(url: str) -> tuple[str, str, str]:
    """A TTKT-31 capability and a standard of its own, of its quantity, covering its range, not yet linked."""
    engine = create_engine(url)
    with Session(engine) as session:
        center = session.execute(select(Center.id).where(Center.code == "TTKT-31")).scalar_one()
        quantity_of = dict(session.execute(select(InstrumentType.code, InstrumentType.quantity_code)).all())
        held = session.execute(select(Equipment).where(Equipment.center_id == center)).scalars().all()
        linked = {
            (c, e)
            for c, e in session.execute(
                select(CapabilityStandard.capability_id, CapabilityStandard.equipment_id)
            )
        }
        capability, standard = next(
            (c, e)
            for c in session.execute(
                select(Capability).where(Capability.center_id == center).order_by(Capability.id)
            ).scalars()
            for e in held
            if (c.id, e.id) not in linked
            and e.quantity_code == quantity_of[c.instrument_type_code]
            and covers_range(e.model_dump(), c.model_dump())
        )
        found = (capability.instrument_type_code, capability.service, standard.serial_no)
    engine.dispose()
    return found


def files(url: str) -> dict[str, tuple[str, str, int, int]]:
    """kind -> (file, table, SQL count of what it writes, rows it adds or changes)."""
    type_code, service, serial = a_covering_link(url)
    return {
        "capability": (
            "instrument_type;service;range;uncertainty;designated\n"
            "platform_scale;verification;0–150 kg;0,05 %;có\n",
            "SELECT COUNT(*) FROM capability WHERE instrument_type_code = 'platform_scale' "
            "AND center_id = (SELECT id FROM center WHERE code = 'TTKT-31')",
            1,
            1,
        ),
        "capability_standard": (
            f"instrument_type;service;standard_serial\n{type_code};{service};{serial}\n",
            "SELECT COUNT(*) FROM capability_standard",
            0,
            1,
        ),
        "service_volume": (
            f"instrument_type;service;month;count\n{type_code};{service};01/2018;987654\n",
            "SELECT COUNT(*) FROM service_volume WHERE count = 987654",
            1,
            1,
        ),
        "agreement": (
            'institute,title_vi,history\nIMTS,Hợp đồng nhập thử,"proposed 08/07/2024; signed 14/11/2024"\n',
            "SELECT COUNT(*) FROM agreement WHERE title_vi = 'Hợp đồng nhập thử' AND stage = 'signed'",
            1,
            1,
        ),
        "event": (
            "held_on;title_vi;place_vi;kind;participants\n"
            "20/09/2024;Tập huấn hiệu chuẩn áp kế;Hải Phòng;training;IMTS, TTKT-31\n",
            "SELECT COUNT(*) FROM event WHERE title_vi = 'Tập huấn hiệu chuẩn áp kế'",
            1,
            1,
        ),
    }


@pytest.mark.parametrize(
    "kind", ["capability", "capability_standard", "service_volume", "agreement", "event"]
)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_staff_check_preview_and_import_each_kind_of_record(
    writable_database: str, lang: str, kind: str
) -> None:
    content, query, expected_after, changed = files(writable_database)[kind]
    before = scalar(writable_database, query)
    app = log_in(lang, "ttkt31", demo_password("ttkt31"))
    app.selectbox(key="records-kind").set_value(kind).run()
    app.file_uploader(key=f"records-upload-{kind}").set_value(
        (f"{kind}.csv", content.encode(), "text/csv")
    ).run()
    app.button(key=f"records-validate-{kind}").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert scalar(writable_database, query) == before  # checking writes nothing
    app.button(key=f"records-run-{kind}").click().run()
    assert not app.exception
    # a volume of that month may exist already (then it changes) or not (then it is new)
    shown = texts(app)
    assert any(DONE[lang].format(added=added, updated=changed - added) in shown for added in (0, 1))
    after = scalar(writable_database, query)
    assert after == (before + 1 if kind == "capability_standard" else expected_after)
    assert (
        scalar(
            writable_database,
            "SELECT COUNT(*) FROM audit_log WHERE username = 'ttkt31' AND action IN ('insert', 'update')",
        )
        == 1
    )
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_bad_records_file_lists_its_problems_and_offers_no_import(
    writable_database: str, lang: str
) -> None:
    app = log_in(lang, "ttkt31", demo_password("ttkt31"))
    app.selectbox(key="records-kind").set_value("agreement").run()
    bad = "institute;title_vi;history\nIMTS;Hợp đồng sai;agreed 08/07/2024\n".encode()
    app.file_uploader(key="records-upload-agreement").set_value(("bad.csv", bad, "text/csv")).run()
    app.button(key="records-validate-agreement").click().run()
    assert not app.exception
    message = app.table[0].value.iloc[0].iloc[2]
    assert ('"agreed" không phải là giai đoạn' if lang == "vi" else '"agreed" is not a stage') in message
    assert not [b for b in app.button if b.key == "records-run-agreement"]
    assert scalar(writable_database, "SELECT COUNT(*) FROM agreement WHERE title_vi = 'Hợp đồng sai'") == 0
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_admin_restores_a_backup_into_an_empty_database_and_a_second_time_is_refused(
    writable_database: str, tmp_path: Path, lang: str
) -> None:
    source = make_engine(writable_database)
    data, summary = backup.dump_bytes(source)
    source.dispose()
    target_url = f"sqlite:///{tmp_path / 'restored.db'}"
    app = log_in(lang, "admin", demo_password("admin"))
    assert [tab.label for tab in app.tabs][-1] == (
        "Sao lưu và khôi phục" if lang == "vi" else "Backup and restore"
    )
    app.file_uploader(key="backup-upload").set_value(("backup.zip", data, "application/zip")).run()
    app.text_input(key="backup-target-url").input(target_url).run()
    app.button(key="backup-restore").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    rows = f"{summary.total_rows:,}".replace(",", "." if lang == "vi" else ",")
    expected = f"Đã khôi phục {rows} dòng" if lang == "vi" else f"Restored {rows} rows"
    assert any(expected in s.value for s in app.success)
    assert scalar(target_url, "SELECT COUNT(*) FROM equipment") == scalar(
        writable_database, "SELECT COUNT(*) FROM equipment"
    )
    app.button(key="backup-restore").click().run()
    refusal = "Cơ sở dữ liệu đích không trống" if lang == "vi" else "The target database is not empty"
    assert any(refusal in e.value for e in app.error)
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_admin_makes_a_backup_file_and_downloads_it(writable_database: str, lang: str) -> None:
    app = log_in(lang, "admin", demo_password("admin"))
    assert not backup_downloads(app)  # nothing until made
    app.button(key="backup-prepare").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    prepared = app.session_state["backup-prepared"]
    summary = backup.inspect_backup(prepared.data)
    rows = {table.name: table.rows for table in summary.tables}
    assert rows["equipment"] == scalar(writable_database, "SELECT COUNT(*) FROM equipment") > 0
    assert rows["calibration_record"] == scalar(writable_database, "SELECT COUNT(*) FROM calibration_record")
    ready = (
        "Bản sao lưu đã sẵn sàng: metrology-backup-" if lang == "vi" else "Backup ready: metrology-backup-"
    )
    assert any(ready in s.value and prepared.file_name in s.value for s in app.success)
    labels = [b.proto.label for b in backup_downloads(app)]
    assert labels == ["Tải bản sao lưu (.zip)" if lang == "vi" else "Download the backup (.zip)"]
    audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'backup_download' AND username = 'admin'"
    assert scalar(writable_database, audited) == 1
    app.run()  # the file outlasts a rerun, and is not made again
    assert [b.proto.label for b in backup_downloads(app)] == labels
    assert scalar(writable_database, audited) == 1
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_admin_disabled_meanwhile_gets_no_backup_file(writable_database: str, lang: str) -> None:
    app = log_in(lang, "admin", demo_password("admin"))
    engine = create_engine(writable_database)
    with engine.begin() as connection:  # another administrator disables the account after the page drew
        connection.execute(
            text("UPDATE app_user SET disabled = :yes WHERE username = 'admin'"), {"yes": True}
        )
    engine.dispose()
    app.button(key="backup-prepare").click().run()
    assert not app.exception
    assert "backup-prepared" not in app.session_state
    assert scalar(writable_database, "SELECT COUNT(*) FROM audit_log WHERE action = 'backup_download'") == 0
    assert not backup_downloads(app)
    refusal = "không được sao lưu hoặc khôi phục" if lang == "vi" else "may not back up or restore"
    assert any(refusal in e.value for e in app.error), [e.value for e in app.error]
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_backup_file_is_offered_only_to_the_administrator_who_made_it(
    writable_database: str, cheap_password_hashes: None, lang: str
) -> None:
    engine = create_engine(writable_database)
    with Session(engine) as session:
        auth.create_user(session, username="admin2", password="Another long password 2", role="admin")
        session.commit()
    engine.dispose()
    app = log_in(lang, "admin", demo_password("admin"))
    app.button(key="backup-prepare").click().run()
    assert backup_downloads(app)
    app.button(key="logout").click().run()
    sign_in(app, lang, "admin2", "Another long password 2")
    assert any("admin2" in m.value for m in app.markdown)  # signed in as the other administrator
    assert not backup_downloads(app)
    assert "backup-prepared" not in app.session_state


def test_staff_see_no_backup_tab(writable_database: str) -> None:
    app = log_in("vi", "ttkt31", demo_password("ttkt31"))
    assert "Sao lưu và khôi phục" not in [tab.label for tab in app.tabs]
    assert not [b for b in app.button if b.key == "backup-restore"]
