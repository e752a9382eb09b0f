"""Every write service against every kind of caller: who may write, who is refused, and how.

The matrix is ``CASES`` (one short call per write service) × ``ROLES`` (admin, staff of the row's
own center, staff of another center, viewer, anonymous, a disabled staff account, a disabled admin,
staff of a closed center merged into the row's center, an OIDC address mapped to the center's
staff, a disabled OIDC admin). A refused call must name its refusal (catalog key, worded in both
languages) and leave every table's checksum as it was; an allowed call must write and leave an
audit row naming the caller. A closed center's records are refused to everyone, admins included.
``test_every_public_write_service_is_in_the_matrix`` reads services/ and fails when a public
function that writes is neither in the matrix nor exempted with a reason, so the matrix cannot
silently go stale.

On the tiny network (tests/tiny_network.py, as of 15/01/2026), on SQLite and on PostgreSQL when
the suite has one: the network is built once per engine; refused calls share one copy of it, each
allowed call writes into a fresh copy.
"""

from __future__ import annotations

import ast
import functools
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.engine import make_url
from sqlmodel import Session

from services import accounts, auth, backup, editing, oidc
from services.db import make_engine
from services.i18n import translate
from services.imports import import_calibrations_csv, import_equipment_csv
from services.models import (
    Agreement,
    AgreementEvent,
    AuditLog,
    CalibrationRecord,
    Capability,
    CapabilityStandard,
    Center,
    Equipment,
    Event,
    OidcAccount,
    ServiceVolume,
    User,
)
from services.record_kinds import import_records
from tests import tiny_network
from tests.conftest import ENGINES, PROJECT_ROOT, PostgresDatabases, SchemaTemplates
from tests.test_imports import CALIBRATION_HEADER, GOOD_ROW, equipment_file, fingerprint

pytestmark = pytest.mark.usefixtures("cheap_password_hashes")
TODAY: Final = tiny_network.AS_OF  # 15/01/2026: C-HG closed 30/06/2025, merged into C-TQ
PASSWORD: Final = "a long enough password"
NEW_PASSWORD: Final = "another long password 2026"

# who calls: role -> the name a page would pass for them
ROLES: Final = {
    "admin": "boss",
    "own_staff": "tq",  # staff of C-TQ, the center every center-scoped case writes into
    "other_staff": "imts1",  # staff of IMTS
    "viewer": "reader",
    "anonymous": "",  # nobody signed in: no name at all
    "disabled": "gone",  # C-TQ staff, disabled
    "disabled_admin": "exboss",  # an administrator, disabled: no rights left at all
    "closed_center_staff": "hg",  # staff of C-HG, closed and merged into C-TQ
    "oidc_staff": "tq.staff@example.vn",  # an OIDC address mapped to C-TQ's staff
    "oidc_disabled": "left@example.vn",  # an OIDC address mapped to an admin, then disabled
}
CENTER_WRITERS: Final = frozenset({"admin", "own_staff", "oidc_staff"})
ADMINS: Final = frozenset({"admin"})
# what each refusal says, in both languages ({actor}: the caller's name)
REFUSAL_WORDS: Final = {
    "data.error.not_allowed": (
        'Tài khoản "{actor}" không được thay đổi dữ liệu của C-TQ',
        'Account "{actor}" may not change C-TQ\'s data',
    ),
    "accounts.error.admins_only": (
        "Chỉ quản trị viên đang hoạt động mới được thay đổi tài khoản",
        "Only an active administrator may change accounts",
    ),
    "backup.error.admins_only": (
        "chỉ quản trị viên đang hoạt động mới được",
        "only an active administrator may",
    ),
    "data.error.center_closed": ("C-HG đã ngừng hoạt động từ 30/06/2025", "C-HG closed on 30/06/2025"),
    "data.error.center_closed_edit": (
        "Hãy cập nhật dữ liệu của trung tâm kế thừa C-TQ",
        "Change its successor C-TQ's data instead",
    ),
}


# --- the network, once per engine --------------------------------------------------------------


def _add_accounts(session: Session) -> None:
    for username, role, center in [
        ("boss", "admin", None),
        ("tq", "center_staff", "C-TQ"),
        ("tq2", "center_staff", "C-TQ"),  # whom the account cases change
        ("off2", "center_staff", "C-TQ"),  # disabled: whom "enable" brings back
        ("imts1", "center_staff", "IMTS"),
        ("reader", "viewer", None),
        ("gone", "center_staff", "C-TQ"),
        ("hg", "center_staff", "C-HG"),
        ("exboss", "admin", None),
    ]:
        auth.create_user(session, username=username, password=PASSWORD, role=role, center_code=center)
    auth.set_disabled(session, username="gone", disabled=True)
    auth.set_disabled(session, username="off2", disabled=True)
    auth.set_disabled(session, username="exboss", disabled=True)
    oidc.map_email(session, email="tq.staff@example.vn", role="center_staff", center_code="C-TQ")
    oidc.map_email(session, email="left@example.vn", role="admin", disabled=True)
    session.commit()


class Network:
    """The built network of one engine: a template never opened after building, copies of it."""

    def __init__(
        self, kind: str, directory: Path, templates: SchemaTemplates, postgres: PostgresDatabases | None
    ):
        self.kind, self.directory, self.postgres = kind, directory, postgres
        self.template_url = templates.new_database_url(kind, directory)
        self.urls: list[str] = []
        built = make_engine(self.template_url)
        with Session(built) as session:
            self.ids = tiny_network.build(session)
            _add_accounts(session)
        with Session(built) as session:
            self.versions = {item.id: item.version for item in session.execute(select(Equipment)).scalars()}
        self.backup, self.summary = backup.dump_bytes(built)
        self.fingerprint = fingerprint(built)
        built.dispose()  # a PostgreSQL template must have no connections when it is copied
        self.shared = make_engine(self.copy())  # the refused calls' database: they write nothing

    def copy(self) -> str:
        if self.kind == "postgresql":
            assert self.postgres is not None
            url = self.postgres.create(template=self.template_url)
        else:
            source = Path(make_url(self.template_url).database or "")
            target = self.directory / f"{uuid.uuid4().hex[:8]}.db"
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{source}{suffix}").exists():
                    shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
            url = f"sqlite:///{target}"
        self.urls.append(url)
        return url

    def empty_database(self) -> str:
        """A database with no schema at all: where a restore goes."""
        if self.kind == "postgresql":
            assert self.postgres is not None
            url = self.postgres.create()
        else:
            url = f"sqlite:///{self.directory / f'empty-{uuid.uuid4().hex[:8]}.db'}"
        self.urls.append(url)
        return url

    def close(self) -> None:
        self.shared.dispose()
        if self.postgres is not None and self.kind == "postgresql":
            for url in [*self.urls, self.template_url]:
                self.postgres.drop(url)


@pytest.fixture(scope="module", params=ENGINES)
def network(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    schema_templates: SchemaTemplates,
    postgres: PostgresDatabases | None,
) -> Iterator[Network]:
    with pytest.MonkeyPatch.context() as patch:  # the accounts' hashes at the cost the tests use
        patch.setattr(auth, "ARGON2_TIME_COST", 1)
        patch.setattr(auth, "ARGON2_MEMORY_KIB", 64)
        patch.setattr(auth, "ARGON2_PARALLELISM", 1)
        built = Network(request.param, tmp_path_factory.mktemp("permissions"), schema_templates, postgres)
    yield built
    built.close()


@dataclass
class Call:
    """Where a case runs: the database, the network's ids and versions, a place for a restore."""

    engine: Engine
    network: Network
    target: Engine | None = None

    def restore_target(self) -> Engine:
        if self.target is None:
            self.target = make_engine(self.network.empty_database())
        return self.target


# --- the cases: one short call per write service ----------------------------------------------------


def _import_records(kind: str, text: str) -> Callable[[Call, str, str], Any]:
    def run(call: Call, actor: str, center: str) -> Any:
        with Session(call.engine) as session:
            return import_records(
                session, text.encode(), kind=kind, center_code=center, username=actor, today=TODAY
            )

    return run


CERTIFICATE = "PERM-0001"
CERTIFICATE_FILE = f"{CALIBRATION_HEADER}\nSOON-1,05/01/2026,,IMTS,{CERTIFICATE},pass,,\n".encode()


def _file_import(
    service: Callable[..., Any], data: bytes, *, confirmed: bool = False
) -> Callable[[Call, str, str], Any]:
    """An equipment or certificate import; ``confirmed``: written from its own dry run's check, as the
    data page does (``checked``), which asks again who writes."""

    def run(call: Call, actor: str, center: str) -> Any:
        options = {"center_code": center, "username": actor, "today": TODAY}
        with Session(call.engine) as session:
            checked = service(session, data, dry_run=True, **options) if confirmed else None
            return service(session, data, checked=checked, **options)

    return run


def _edit(call: Call, actor: str, center: str) -> Any:
    item = call.network.ids["overdue" if center == "C-TQ" else "never"]
    with Session(call.engine) as session:
        return editing.save_equipment_edits(
            session,
            username=actor,
            center_code=center,
            changes={item: {"name": "Áp kế đã sửa"}},
            base_versions={item: call.network.versions[item]},
            today=TODAY,
        )


def _account(change: Callable[..., Any], **options: Any) -> Callable[[Call, str, str], Any]:
    def run(call: Call, actor: str, center: str) -> Any:
        with Session(call.engine) as session:
            return change(session, actor=actor, **options)

    return run


def _restore(call: Call, actor: str, center: str) -> Any:
    with Session(call.engine) as session:
        return backup.restore_as(session, call.restore_target(), call.network.backup, actor=actor)


def _download(call: Call, actor: str, center: str) -> Any:
    with Session(call.engine) as session:
        return backup.dump_as(session, call.engine, actor=actor)


def _count(engine: Engine, model: Any, *where: Any) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _tq(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(select(Center.id).where(Center.code == "C-TQ")).scalar_one()


def _user(engine: Engine, username: str) -> User:
    with Session(engine) as session:
        return session.execute(select(User).where(User.username == username)).scalars().one()


@dataclass(frozen=True)
class Case:
    """One write service: how to call it, who may, how it refuses, and what its write leaves."""

    name: str
    covers: tuple[str, ...]  # the services' functions (module.function) this call goes through
    run: Callable[[Call, str, str], Any]
    allowed: frozenset[str]
    refusal: str
    wrote: Callable[[Call, Any], bool]  # after an allowed call: did the write happen?
    audit: tuple[str, str]  # the audit row it leaves: table name, action
    center_scoped: bool = True  # writes into one center's records (C-TQ here)


def _center_case(
    name: str,
    covers: tuple[str, ...],
    run: Callable[[Call, str, str], Any],
    wrote: Callable[[Call], bool],
    table: str,
    action: str = "insert",
) -> Case:
    """A write into one center's records: its staff and admins may, with the same refusal for the rest."""
    return Case(
        name,
        covers,
        run,
        CENTER_WRITERS,
        "data.error.not_allowed",
        lambda call, _: wrote(call),
        (table, action),
    )


def _admin_case(
    name: str, change: Callable[..., Any], wrote: Callable[[Call], bool], action: str, **options: Any
) -> Case:
    """An account change: administrators only (services.accounts)."""
    return Case(
        name,
        (f"{change.__module__}.{change.__name__}",),
        _account(change, **options),
        ADMINS,
        "accounts.error.admins_only",
        lambda call, _: wrote(call),
        ("oidc_account" if "oidc" in change.__name__ else "app_user", action),
        center_scoped=False,
    )


RECORD_IMPORTS: Final = ("services.record_kinds.import_records", "services.record_imports.run_import")
CASES: Final = [
    _center_case(
        "equipment import",
        ("services.imports.import_equipment_csv",),
        _file_import(import_equipment_csv, equipment_file(GOOD_ROW)),
        lambda call: (
            _count(
                call.engine,
                Equipment,
                Equipment.serial_no == "NEW-1",
                Equipment.center_id == _tq(call.engine),
            )
            == 1
        ),
        "equipment",
    ),
    _center_case(
        "certificate import",
        ("services.imports.import_calibrations_csv",),
        _file_import(import_calibrations_csv, CERTIFICATE_FILE),
        lambda call: (
            _count(call.engine, CalibrationRecord, CalibrationRecord.certificate_no == CERTIFICATE) == 1
        ),
        "calibration_record",
    ),
    _center_case(
        "equipment import confirmed after its dry run",
        ("services.imports.import_equipment_csv",),
        _file_import(import_equipment_csv, equipment_file(GOOD_ROW), confirmed=True),
        lambda call: _count(call.engine, Equipment, Equipment.serial_no == "NEW-1") == 1,
        "equipment",
    ),
    _center_case(
        "certificate import confirmed after its dry run",
        ("services.imports.import_calibrations_csv",),
        _file_import(import_calibrations_csv, CERTIFICATE_FILE, confirmed=True),
        lambda call: (
            _count(call.engine, CalibrationRecord, CalibrationRecord.certificate_no == CERTIFICATE) == 1
        ),
        "calibration_record",
    ),
    _center_case(
        "capability import",
        RECORD_IMPORTS,
        _import_records(
            "capability",
            "instrument_type;service;range;uncertainty;annual_capacity;accredited;designated\n"
            "clinical_thermometer;calibration;32–42 °C;0,05 K;300;không;không\n",
        ),
        lambda call: (
            _count(
                call.engine,
                Capability,
                Capability.center_id == _tq(call.engine),
                Capability.instrument_type_code == "clinical_thermometer",
            )
            == 1
        ),
        "capability",
    ),
    _center_case(
        "capability standard import",
        RECORD_IMPORTS,
        _import_records(
            "capability_standard",
            "instrument_type,service,standard_serial\npressure_gauge,verification,OVERDUE-1\n",
        ),
        lambda call: (
            _count(
                call.engine,
                CapabilityStandard,
                CapabilityStandard.equipment_id == call.network.ids["overdue"],
            )
            == 1
        ),
        "capability_standard",
    ),
    _center_case(
        "monthly volume import",
        RECORD_IMPORTS,
        _import_records(
            "service_volume", "instrument_type;service;month;count\npressure_gauge;verification;06/2025;35\n"
        ),
        lambda call: (
            _count(
                call.engine,
                ServiceVolume,
                ServiceVolume.center_id == _tq(call.engine),
                ServiceVolume.count == 35,
            )
            == 1
        ),
        "service_volume",
    ),
    _center_case(
        "agreement import with its stage history",
        RECORD_IMPORTS,
        _import_records(
            "agreement",
            "institute,title_vi,history\n"
            'IMTS,Hợp đồng phân quyền,"proposed 08/07/2024; negotiating 02/09/2024; signed 14/11/2024"\n',
        ),
        lambda call: (
            _count(
                call.engine,
                AgreementEvent,
                AgreementEvent.agreement_id
                == select(Agreement.id).where(Agreement.title_vi == "Hợp đồng phân quyền").scalar_subquery(),
            )
            == 3
        ),
        "agreement",
    ),
    _center_case(
        "event import",
        RECORD_IMPORTS,
        _import_records(
            "event",
            "held_on;title_vi;place_vi;kind;participants\n20/09/2025;Tập huấn phân quyền;Tuyên Quang;training;IMTS, C-TQ\n",
        ),
        lambda call: _count(call.engine, Event, Event.title_vi == "Tập huấn phân quyền") == 1,
        "event",
    ),
    _center_case(
        "equipment editor save",
        ("services.editing.save_equipment_edits",),
        _edit,
        lambda call: (
            _count(
                call.engine,
                Equipment,
                Equipment.id == call.network.ids["overdue"],
                Equipment.name == "Áp kế đã sửa",
            )
            == 1
        ),
        "equipment",
        "update",
    ),
    _admin_case(
        "add an account",
        accounts.add_account,
        lambda call: _user(call.engine, "newstaff").center_id == _tq(call.engine),
        "insert",
        username="newstaff",
        password=NEW_PASSWORD,
        role="center_staff",
        center_code="C-TQ",
    ),
    _admin_case(
        "disable an account",
        accounts.set_account_disabled,
        lambda call: _user(call.engine, "tq2").disabled,
        "disable",
        username="tq2",
        disabled=True,
    ),
    _admin_case(
        "re-enable an account",
        accounts.set_account_disabled,
        lambda call: not _user(call.engine, "off2").disabled,
        "enable",
        username="off2",
        disabled=False,
    ),
    _admin_case(
        "reset a password",
        accounts.reset_password,
        lambda call: auth.verify_password(NEW_PASSWORD, _user(call.engine, "tq2").password_hash),
        "password_change",
        username="tq2",
        password=NEW_PASSWORD,
    ),
    _admin_case(
        "change a role",
        accounts.change_role,
        lambda call: _user(call.engine, "tq2").role == "viewer",
        "role_change",
        username="tq2",
        role="viewer",
    ),
    _admin_case(
        "map an OIDC address",
        accounts.map_oidc_email,
        lambda call: _count(call.engine, OidcAccount, OidcAccount.email == "new@example.vn") == 1,
        "insert_oidc",
        email="new@example.vn",
        role="center_staff",
        center_code="C-TQ",
    ),
    Case(
        "restore a backup",
        ("services.backup.restore_as",),
        _restore,
        ADMINS,
        "backup.error.admins_only",
        lambda call, result: (
            call.target is not None
            and fingerprint(call.target) == call.network.fingerprint  # row for row
            and result.total_rows == call.network.summary.total_rows
        ),
        ("backup", "backup_restore"),
        center_scoped=False,
    ),
    Case(
        "download a backup",  # no row changes, but the file holds every password hash
        ("services.backup.dump_as",),
        _download,
        ADMINS,
        "backup.error.admins_only",
        lambda call, result: backup.inspect_backup(result).total_rows == call.network.summary.total_rows,
        ("backup", "backup_download"),
        center_scoped=False,
    ),
]


# --- running a case --------------------------------------------------------------------------------


def _refusals(outcome: Any) -> list[Any]:
    """What refused the call: its problems (imports, editor) or the exception it raised."""
    if isinstance(outcome, BaseException):
        return [outcome]
    problems = getattr(outcome, "problems", None)
    return list(problems) if problems else []


def _attempt(case: Case, call: Call, actor: str, center: str = "C-TQ") -> Any:
    try:
        return case.run(call, actor, center)
    except (auth.PasswordPolicyError, backup.BackupRefusal) as refusal:
        return refusal


def _assert_refused_in_both_languages(outcome: Any, key: str, actor: str) -> None:
    refusals = _refusals(outcome)
    assert [refusal.key for refusal in refusals] == [key], refusals
    vi, en = REFUSAL_WORDS[key]
    assert vi.format(actor=actor) in refusals[0].message("vi")
    assert en.format(actor=actor) in refusals[0].message("en")


def _new_audit_rows(engine: Engine, after_id: int) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        return [
            tuple(row)  # type: ignore[misc]
            for row in session.execute(
                select(AuditLog.username, AuditLog.table_name, AuditLog.action)
                .where(AuditLog.id > after_id)
                .order_by(AuditLog.id)
            )
        ]


def _last_audit_id(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.coalesce(func.max(AuditLog.id), 0))).scalar_one()


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_role_against_each_write_service(network: Network, case: Case, role: str) -> None:
    actor = ROLES[role]
    if role not in case.allowed:
        call = Call(network.shared, network)
        before = fingerprint(network.shared)
        outcome = _attempt(case, call, actor)
        try:
            _assert_refused_in_both_languages(outcome, case.refusal, actor)
            assert fingerprint(network.shared) == before
            if call.target is not None:  # a refused restore never touches its target either
                assert inspect(call.target).get_table_names() == []
        finally:
            if call.target is not None:
                call.target.dispose()
        return
    call = Call(make_engine(network.copy()), network)
    try:
        last = _last_audit_id(call.engine)
        outcome = _attempt(case, call, actor)
        assert not _refusals(outcome), _refusals(outcome)
        assert case.wrote(call, outcome)
        written = _new_audit_rows(call.engine, last)
        assert (actor, *case.audit) in written
        assert {username for username, _, _ in written} == {actor}  # every audit row names the caller
    finally:
        call.engine.dispose()
        if call.target is not None:
            call.target.dispose()


CENTER_CASES: Final = [case for case in CASES if case.center_scoped]


@pytest.mark.parametrize("role", ["admin", "closed_center_staff"])
@pytest.mark.parametrize("case", CENTER_CASES, ids=[case.name for case in CENTER_CASES])
def test_nobody_writes_into_a_closed_center_not_even_an_admin_or_its_own_staff(
    network: Network, case: Case, role: str
) -> None:
    before = fingerprint(network.shared)
    outcome = _attempt(case, Call(network.shared, network), ROLES[role], center="C-HG")
    key = (
        "data.error.center_closed_edit"
        if case.name == "equipment editor save"
        else "data.error.center_closed"
    )
    _assert_refused_in_both_languages(outcome, key, ROLES[role])
    assert fingerprint(network.shared) == before


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_audit_row_the_matrix_leaves_is_named_in_both_languages(lang: str) -> None:
    """The data page and the accounts page show an audit row's table and action through the catalogs."""
    for table, action in {case.audit for case in CASES}:
        for key in (f"data.audit.table_name.{table}", f"data.audit.action.{action}"):
            assert translate(key, lang) != key, key


def test_an_admin_sees_backups_in_the_account_log(network: Network) -> None:
    engine = make_engine(network.copy())
    try:
        with Session(engine) as session:
            backup.dump_as(session, engine, actor="boss")
            log = accounts.account_log(session, actor="boss")
        assert list(log[["username", "table_name", "action"]].iloc[0]) == [
            "boss",
            "backup",
            "backup_download",
        ]
    finally:
        engine.dispose()


LOSING_RIGHTS: Final = {
    "disabled": lambda session: auth.set_disabled(session, username="tq", disabled=True),
    "made a viewer": lambda session: auth.set_role(session, username="tq", role="viewer"),
    "moved to another center": lambda session: auth.set_role(
        session, username="tq", role="center_staff", center_code="IMTS"
    ),
}


@pytest.mark.parametrize("change", list(LOSING_RIGHTS))
@pytest.mark.parametrize(
    "service", [import_equipment_csv, import_calibrations_csv], ids=["equipment", "certificates"]
)
def test_an_account_that_loses_its_rights_after_the_dry_run_writes_nothing(
    network: Network, service: Callable[..., Any], change: str
) -> None:
    data = equipment_file(GOOD_ROW) if service is import_equipment_csv else CERTIFICATE_FILE
    engine = make_engine(network.copy())
    try:
        options = {"center_code": "C-TQ", "username": "tq", "today": TODAY}
        with Session(engine) as session:
            checked = service(session, data, dry_run=True, **options)
        assert checked.ok and checked.to_write
        with Session(engine) as session:
            LOSING_RIGHTS[change](session)
            session.commit()
        before = fingerprint(engine)
        with Session(engine) as session:
            outcome = service(session, data, checked=checked, **options)
        _assert_refused_in_both_languages(outcome, "data.error.not_allowed", "tq")
        assert fingerprint(engine) == before
    finally:
        engine.dispose()


# --- the matrix cannot go stale -------------------------------------------------------------------

SERVICES: Final = PROJECT_ROOT / "services"
# Public functions that write but are no entry for a person in the app, each with why it needs no
# check of who acts. Everything else that writes must be a case above.
EXEMPT: Final = {
    # written inside the caller's transaction; the caller (a case above) checks who acts
    "services.audit.record_change": "the audit row of a change its caller made",
    "services.certificates.add_calibration": "one certificate, inside an import that checked who acts",
    "services.holdings.record_status_change": "a status period, inside an import or edit that checked",
    "services.record_imports.write_plain": "one planned row, inside run_import after its check",
    "services.oidc.map_email": "the command behind accounts.map_oidc_email (the case above)",
    # the data version every write bumps in its own transaction (issue #10), and the bulk path the
    # seeder and restore write through: no row a user chose, always inside a checked write
    "services.data_version.bump": "the version row, inside the write that changed data",
    "services.data_version.install": "the engine hook that bumps the version on every write",
    "services.db.make_engine": "opens the engine and installs the version hook; writes no row itself",
    "services.bulk_insert.bulk_insert": "many rows at once, for the seeder and a checked restore",
    # the login itself: whoever calls is not signed in yet
    "services.auth.log_in": "the login: records failures and throttles, signs nobody in unchecked",
    "services.auth.authenticate": "log_in without the reason",
    "services.oidc.sign_in": "the OIDC login: audits it, rights come from oidc_account",
    # commands for an operator with shell access to the server (python -m …), never reached from
    # pages/ or ui/ (test_the_app_reaches_writes_only_through_the_matrix checks)
    "services.auth.create_user": "command: python -m services.auth add",
    "services.auth.set_password": "command: python -m services.auth password",
    "services.auth.set_disabled": "command: python -m services.auth disable/enable",
    "services.auth.set_role": "command: python -m services.auth role",
    "services.auth.add_demo_users": "command: demo databases only",
    "services.auth.main": "command line",
    "services.backup.restore": "command: python -m services.backup restore (the app uses restore_as)",
    "services.backup.main": "command line",
    "services.seed.seed": "the seeder: fills an empty database (command and the demo)",
    "services.seed.main": "command line",
    "services.dataset.record_demo_as_of": "inside the seeder's transaction",
    "services.db.session_scope": "commits what its block did; callers check who acts",
}
# exempt writes the app itself makes: the logins, and the demo seeded into the embedded database on
# its first start (ui/data.py; never into a database DATABASE_URL names unless SEED_DEMO_DATA=1)
APP_WRITES: Final = {"log_in", "authenticate", "sign_in", "seed", "make_engine"}


def _is_direct_write(node: ast.Call) -> bool:
    """A call that changes rows by itself: session.add/commit, engine.begin, SQL update/delete/insert."""
    target = node.func
    if isinstance(target, ast.Name):
        return target.id in {"update", "delete", "insert", "postgresql_insert", "sqlite_insert"}
    if not isinstance(target, ast.Attribute):
        return False
    receiver = target.value.id if isinstance(target.value, ast.Name) else ""
    if receiver in {"session", "connection"} and target.attr in {
        "add",
        "add_all",
        "commit",
        "delete",
        "merge",
    }:
        return True
    if receiver == "engine" and target.attr == "begin":
        return True
    # table.insert() / table.update() / table.delete(): no arguments, unlike list.insert or dict.update
    return target.attr in {"insert", "update", "delete"} and not node.args and not node.keywords


def _imported(module_tree: ast.Module) -> dict[str, str]:
    """What a module's names stand for: ``from services.x import f`` -> f: services.x.f; ``from services
    import auth`` -> auth: services.auth."""
    names = {}
    for node in module_tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("services"):
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("services") and alias.asname:
                    names[alias.asname] = alias.name
    return names


def _assigned_name(statement: ast.Assign | ast.AnnAssign) -> str:
    """The name a module-level assignment binds, or "" for anything but one plain name."""
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return targets[0].id if len(targets) == 1 and isinstance(targets[0], ast.Name) else ""


def _functions() -> dict[str, set[str]]:
    """Every top-level function of services/ (module.function) -> what it calls or passes on
    (``partial(_insert, …)``), as module.function where its imports say which."""
    found: dict[str, set[str]] = {}
    for path in sorted(SERVICES.rglob("*.py")):
        module = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = _imported(tree)
        for function in tree.body:
            # a module-level value built from writers (``_FILE = _FileKind(..., _insert_equipment)``) or a
            # class whose methods write counts as what it calls, so a call through it is seen
            if isinstance(function, ast.FunctionDef | ast.ClassDef):
                name = function.name
            elif isinstance(function, ast.Assign | ast.AnnAssign) and _assigned_name(function).startswith(
                "_"
            ):
                name = _assigned_name(function)
            else:
                continue
            used = (
                {"<direct write>"}
                if any(isinstance(node, ast.Call) and _is_direct_write(node) for node in ast.walk(function))
                else set()
            )
            for node in ast.walk(function):
                if isinstance(node, ast.Name):
                    used.add(imported.get(node.id, f"{module}.{node.id}"))
                elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                    owner = imported.get(node.value.id, "")
                    if owner:
                        used.add(f"{owner}.{node.attr}")
            found[f"{module}.{name}"] = used
    return found


@functools.cache
def writing_functions() -> frozenset[str]:
    """Functions of services/ that write, directly or through another that does (to a fixed point)."""
    uses = _functions()
    writes = {name for name, used in uses.items() if "<direct write>" in used}
    while more := {name for name, used in uses.items() if name not in writes and used & writes}:
        writes |= more
    return frozenset(writes)


def test_every_public_write_service_is_in_the_matrix() -> None:
    public = {name for name in writing_functions() if not name.rsplit(".", 1)[1].startswith("_")}
    covered = {name for case in CASES for name in case.covers}
    missing = sorted(public - covered - set(EXEMPT))
    assert not missing, (
        f"write services without a row in the permission matrix: {missing}. Add a Case to CASES "
        "(who may call it, its refusal, what it writes), or to EXEMPT with why nobody in the app reaches it."
    )
    stale = sorted((covered | set(EXEMPT)) - public)
    assert not stale, f"the matrix names functions that no longer write or exist: {stale}"


def test_the_scan_sees_writes_made_through_helpers() -> None:
    """The guard's own check: an import writes through _write and partial(_insert_…), an account change
    through auth; a pure reader is no writer."""
    writers = writing_functions()
    assert {
        "services.imports._insert_equipment",
        "services.imports.import_equipment_csv",
        "services.accounts.change_role",
        "services.backup.restore_as",
    } <= writers
    assert not {"services.equipment.equipment_summary", "services.backup.inspect_backup"} & writers


def test_the_app_reaches_writes_only_through_the_matrix() -> None:
    """pages/ and ui/ never call an exempt write (a command, a helper), but for the app's own (APP_WRITES)."""
    exempt = {name.rsplit(".", 1)[1] for name in EXEMPT} - APP_WRITES
    calls = []
    for path in sorted(
        [
            *(PROJECT_ROOT / "pages").rglob("*.py"),
            *(PROJECT_ROOT / "ui").rglob("*.py"),
            PROJECT_ROOT / "dashboard.py",
        ]
    ):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                if called in exempt:
                    calls.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {called}")
    assert not calls, calls
