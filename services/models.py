"""SQLModel tables of the metrology network: who holds what, who serves what, who agreed to what."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, Index, SQLModel, UniqueConstraint


class CenterKind(StrEnum):
    NATIONAL_INSTITUTE = "national_institute"
    PROVINCIAL_CENTER = "provincial_center"
    LAB = "lab"


class EquipmentStatus(StrEnum):
    IN_SERVICE = "in_service"
    REPAIR = "repair"
    RETIRED = "retired"


class CalibrationResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    LIMITED = "limited"


class Service(StrEnum):
    VERIFICATION = "verification"  # kiểm định
    CALIBRATION = "calibration"  # hiệu chuẩn
    TESTING = "testing"  # thử nghiệm


class AgreementStage(StrEnum):
    PROPOSED = "proposed"
    NEGOTIATING = "negotiating"
    SIGNED = "signed"
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class Role(StrEnum):
    VIEWER = "viewer"
    CENTER_STAFF = "center_staff"
    ADMIN = "admin"


class Province(SQLModel, table=True):
    """A province as it was between valid_from and valid_to; merged ones point to their successor.

    The 2025 merger reused official codes for new provinces, so the code alone is not a key.
    """

    __table_args__ = (UniqueConstraint("code", "valid_from"),)

    key: str = Field(primary_key=True, max_length=16)
    code: str = Field(index=True, max_length=8)
    name_vi: str
    name_en: str
    capital_vi: str
    lat: float
    lon: float
    population_thousands: int
    valid_from: date | None = Field(default=None, index=True)
    valid_to: date | None = Field(default=None, index=True)
    successor_key: str | None = Field(default=None, foreign_key="province.key", index=True)


class Center(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=32)
    name_vi: str
    name_en: str
    kind: str = Field(index=True, max_length=32)
    province_key: str = Field(foreign_key="province.key", index=True)
    lat: float
    lon: float
    accreditation_no: str | None = None
    active_to: date | None = None
    successor_id: int | None = Field(default=None, foreign_key="center.id", index=True)


class CenterNameHistory(SQLModel, table=True):
    """A name a center carried until ``valid_to``; the Center row holds the name it carries now.

    After the 2025 merger the center serving a merged province took the new province's name, so a
    view of 2024 must still show the old one.
    """

    __tablename__ = "center_name_history"
    __table_args__ = (UniqueConstraint("center_id", "valid_to"),)

    id: int | None = Field(default=None, primary_key=True)
    center_id: int = Field(foreign_key="center.id", index=True)
    valid_to: date
    name_vi: str
    name_en: str


class MeasurementField(SQLModel, table=True):
    __tablename__ = "measurement_field"

    code: str = Field(primary_key=True, max_length=8)
    name_vi: str
    name_en: str
    sort_order: int = 0


class Quantity(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=40)
    field_code: str = Field(foreign_key="measurement_field.code", index=True)
    name_vi: str
    name_en: str
    si_unit: str


class InstrumentType(SQLModel, table=True):
    __tablename__ = "instrument_type"

    code: str = Field(primary_key=True, max_length=40)
    quantity_code: str = Field(foreign_key="quantity.code", index=True)
    name_vi: str
    name_en: str
    legally_controlled: bool = Field(default=False, index=True)
    verification_interval_months: int | None = None
    # Circular 03/2024 lengthened some intervals from 15/10/2024; older records keep the old rule.
    interval_before_20241015: int | None = None
    weight: int = 1


class Equipment(SQLModel, table=True):
    """A standard or piece of equipment a center holds, with its range as entered and in SI."""

    __table_args__ = (UniqueConstraint("center_id", "serial_no"),)

    id: int | None = Field(default=None, primary_key=True)
    center_id: int = Field(foreign_key="center.id", index=True)
    quantity_code: str = Field(foreign_key="quantity.code", index=True)
    instrument_type_code: str | None = Field(default=None, foreign_key="instrument_type.code", index=True)
    name: str
    manufacturer: str
    model: str
    serial_no: str = Field(max_length=64)
    range_min: float
    range_max: float
    range_unit: str
    range_min_si: float
    range_max_si: float
    uncertainty_value: float | None = None
    uncertainty_unit: str | None = None
    uncertainty_relative: bool = False
    is_reference_standard: bool = Field(default=False, index=True)
    acquired_on: date = Field(index=True)
    status: str = Field(default=EquipmentStatus.IN_SERVICE, index=True, max_length=16)
    calibration_interval_months: int = 12
    # Denormalised from CalibrationRecord in the same transaction: today's status reads these
    # columns (about 70x faster than finding each latest record, see DESIGN.md).
    last_calibrated_on: date | None = Field(default=None, index=True)
    next_due_on: date | None = Field(default=None, index=True)
    # optimistic concurrency: every edit saved by services.editing adds one, and a save based on an
    # older number is refused, so two people editing the same row cannot overwrite each other
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class EquipmentStatusPeriod(SQLModel, table=True):
    """A span out of service: in repair from ``start_on`` until the day before ``end_on`` (open while
    ``end_on`` is None), or retired from ``start_on`` for good.

    ``Equipment.status`` says how an item stands today; these rows say how it stood on any day, so
    a view of a past day counts an item retired since as held then, and one repaired since as in
    repair then (services.holdings).
    """

    __tablename__ = "equipment_status_period"
    # "retired by the day" / "in repair on the day" probe each item's spans (services.holdings)
    __table_args__ = (
        Index("ix_equipment_status_period_equipment_status_start", "equipment_id", "status", "start_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    equipment_id: int = Field(foreign_key="equipment.id", index=True)
    status: str = Field(max_length=16)  # EquipmentStatus.REPAIR or EquipmentStatus.RETIRED
    start_on: date
    end_on: date | None = None


class CalibrationRecord(SQLModel, table=True):
    """One certificate: immutable once written, superseded by newer ones, never erased."""

    __tablename__ = "calibration_record"
    __table_args__ = (
        UniqueConstraint("provider_name", "certificate_no"),
        # a past day's status seeks each item's latest certificate by then (services.calibration):
        # in this order the newest comes first, the tie on id settled, the due date read in the index
        Index("ix_calibration_record_equipment_latest", "equipment_id", "calibrated_on", "id", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    equipment_id: int = Field(foreign_key="equipment.id", index=True)
    calibrated_on: date = Field(index=True)
    due_on: date = Field(index=True)
    provider_center_id: int | None = Field(default=None, foreign_key="center.id", index=True)
    provider_name: str = Field(max_length=120)
    standard_used_id: int | None = Field(default=None, foreign_key="equipment.id", index=True)
    certificate_no: str = Field(max_length=64)
    result: str = Field(default=CalibrationResult.PASS, max_length=16, index=True)
    measured_error: float | None = None
    uncertainty: float | None = None


class Capability(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("center_id", "instrument_type_code", "service"),)

    id: int | None = Field(default=None, primary_key=True)
    center_id: int = Field(foreign_key="center.id", index=True)
    instrument_type_code: str = Field(foreign_key="instrument_type.code", index=True)
    service: str = Field(index=True, max_length=16)
    range_text: str
    range_min_si: float
    range_max_si: float
    uncertainty_value: float
    uncertainty_unit: str
    uncertainty_relative: bool = False
    annual_capacity: int = 0
    # VILAS accreditation (ISO/IEC 17025) concerns calibration and testing; verification of
    # Group 2 instruments needs designation by the state instead (Law on Metrology, Art. 25).
    accredited: bool = False
    designated: bool = False


class ServiceVolume(SQLModel, table=True):
    __tablename__ = "service_volume"
    __table_args__ = (UniqueConstraint("center_id", "instrument_type_code", "service", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    center_id: int = Field(foreign_key="center.id", index=True)
    instrument_type_code: str = Field(foreign_key="instrument_type.code", index=True)
    service: str = Field(index=True, max_length=16)
    month: date = Field(index=True)
    count: int


class Agreement(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    institute_id: int = Field(foreign_key="center.id", index=True)
    center_id: int = Field(foreign_key="center.id", index=True)
    title_vi: str
    title_en: str
    stage: str = Field(index=True, max_length=16)
    proposed_on: date
    signed_on: date | None = None
    expires_on: date | None = None
    scope_fields: str = ""  # comma-separated MeasurementField codes
    source: str = ""
    is_demo: bool = True


class AgreementEvent(SQLModel, table=True):
    """Stage history: one row per change of stage."""

    __tablename__ = "agreement_event"
    __table_args__ = (UniqueConstraint("agreement_id", "stage"),)

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    stage: str = Field(max_length=16)
    changed_on: date = Field(index=True)
    note: str = ""


class Event(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    held_on: date = Field(index=True)
    place_vi: str
    place_en: str
    title_vi: str
    title_en: str
    kind: str = Field(max_length=16)  # conference / signing / training / audit
    summary_vi: str = ""
    summary_en: str = ""
    source: str = ""
    is_demo: bool = True


class EventParticipant(SQLModel, table=True):
    __tablename__ = "event_participant"

    event_id: int = Field(foreign_key="event.id", primary_key=True)
    center_id: int = Field(foreign_key="center.id", primary_key=True, index=True)


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    role: str = Field(default=Role.VIEWER, max_length=16)
    center_id: int | None = Field(default=None, foreign_key="center.id", index=True)
    # an Argon2id PHC string, or "scrypt$n$r$p$salt$hash" from before (services.auth upgrades it at
    # the next login); None means the account cannot log in
    password_hash: str | None = Field(default=None, max_length=256)
    # a disabled account cannot log in, and a session still open loses its rights at once
    disabled: bool = Field(default=False)
    # where due-work notices go (services.notices); None: the account gets none
    email: str | None = Field(default=None, max_length=254)


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    username: str
    table_name: str = Field(index=True)
    row_id: str
    action: str
    before: str | None = None
    after: str | None = None
    # the center whose data changed, so staff can read their own center's history
    center_id: int | None = Field(default=None, foreign_key="center.id", index=True)


class DatasetInfo(SQLModel, table=True):
    """Facts about the database as a whole, such as the day a demo network describes."""

    __tablename__ = "dataset_info"

    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)


class DataVersion(SQLModel, table=True):
    """One row whose number every write raises in its own transaction (services.data_version);
    every app instance keys its caches on it."""

    __tablename__ = "data_version"

    id: int = Field(primary_key=True)
    version: int = 1
    # random, set when the row is created: the number counts writes within one lineage of the
    # database; a backup restored carries its lineage, a database created anew gets its own
    lineage: str = Field(max_length=32)


class LoginThrottle(SQLModel, table=True):
    """Recent failed logins of one account name or one client address, shared by every app instance.

    services.auth makes a key wait after a few failures, longer with each one, and forgets a key
    an hour after its last failure. Times are Unix seconds: the same number on SQLite and PostgreSQL.
    """

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=200)  # "account:ttkt31" or "client:203.0.113.7"
    failures: int = 0
    last_failure_at: float = Field(index=True)
    locked_until: float | None = None


class CapabilityStandard(SQLModel, table=True):
    """A reference or working standard that supports a capability (many-to-many).

    A capability is in force on a day only while enough of its standards are in date
    (``services.capability_state``); the state is derived, never stored.
    """

    __tablename__ = "capability_standard"

    capability_id: int = Field(foreign_key="capability.id", primary_key=True)
    equipment_id: int = Field(foreign_key="equipment.id", primary_key=True, index=True)


class OidcAccount(SQLModel, table=True):
    """Who an e-mail address signed in through OIDC (``st.login``) is: role and center.

    Only addresses listed here get any rights; the identity provider proves the address, this
    table decides what it may do (services.oidc). A disabled row signs nobody in.
    """

    __tablename__ = "oidc_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=254)  # stored lower-case
    role: str = Field(default=Role.VIEWER, max_length=16)
    center_id: int | None = Field(default=None, foreign_key="center.id", index=True)
    disabled: bool = Field(default=False)
