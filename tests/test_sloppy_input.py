"""Sloppy and hostile values (hidden characters, look-alike serials, impossible quantities and dates,
providers written by name) are refused in imports and in the editor, each with its own message in
both languages, and no table changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from services import auth, editing
from services import models as m
from services.certificates import add_calibration
from tests import hostile_files as hostile
from tests import tiny_network
from tests.test_imports import (
    CALIBRATION_HEADER,
    EQUIPMENT_HEADER,
    equipment_file,
    fingerprint,
    row_with,
    run_calibrations,
    run_equipment,
)

pytestmark = pytest.mark.usefixtures("cheap_password_hashes")
VMI_NAME_VI, VMI_NAME_EN = "Viện Đo lường Việt Nam", "Vietnam Metrology Institute"
TQ_FORMER_NAME = "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng Tuyên Quang"


@pytest.fixture
def network(engine: Engine) -> dict[str, int]:
    """The tiny network, a staff account of C-TQ, VMI with one certificate, C-TQ's former name, a mass."""
    with Session(engine) as session:
        ids = tiny_network.build(session)
        auth.create_user(
            session, username="tq", password="a long enough password", role="center_staff", center_code="C-TQ"
        )
        vmi = m.Center(
            code="VMI",
            name_vi=VMI_NAME_VI,
            name_en=VMI_NAME_EN,
            kind="national_institute",
            province_key="01",
            lat=21.05,
            lon=105.80,
        )
        session.add(vmi)
        session.add(
            m.CenterNameHistory(
                center_id=ids["tq"],
                valid_to=date(2025, 6, 30),
                name_vi=TQ_FORMER_NAME,
                name_en="Tuyen Quang Technical Center for Standards, Metrology and Quality",
            )
        )
        session.add(m.MeasurementField(code="M", name_vi="Khối lượng", name_en="Mass", sort_order=3))
        session.flush()
        session.add(
            m.Quantity(code="mass", field_code="M", name_vi="Khối lượng", name_en="Mass", si_unit="kg")
        )
        session.flush()
        for number, (provider, provider_id) in enumerate([("VMI", vmi.id), ("C-TQ", ids["tq"])], start=1):
            add_calibration(
                session,
                m.CalibrationRecord(
                    equipment_id=ids["in_date"],
                    calibrated_on=date(2025, 1, number),
                    provider_center_id=provider_id,
                    provider_name=provider,
                    certificate_no=f"{provider}-0001",
                    result="pass",
                ),
            )
        session.commit()
    return ids


@dataclass(frozen=True)
class Sloppy:
    name: str
    data: bytes
    row: int
    column: str
    key: str
    vi: str
    en: str
    kind: str = "equipment"


def certificates(*rows: str) -> bytes:
    return equipment_file(*rows, header=CALIBRATION_HEADER)


def certificate(**changes: str) -> str:
    values = dict(
        zip(
            CALIBRATION_HEADER.split(","),
            "OVERDUE-1,10/01/2026,,IMTS,IMTS-9001,pass,,".split(","),
            strict=True,
        )
    )
    values.update(changes)
    return ",".join(f'"{value}"' for value in values.values())


def xlsx_row(**changes: str) -> bytes:
    values = dict(zip(hostile.HEADER.split(";"), hostile.ROW.split(";"), strict=True))
    values.update(changes)
    return hostile.xlsx(hostile.inline_row(1, *values) + hostile.inline_row(2, *values.values()))


CALIBRATION = "calibration"
SLOPPY_IMPORTS = [
    # hidden characters: refused with the code point and its position
    Sloppy(
        "NUL in a name",
        equipment_file(row_with(name="Áp\x00kế")),
        2,
        "name",
        "data.error.control_character",
        "ký tự điều khiển U+0000 ở vị trí 3",
        "control character U+0000 at position 3",
    ),
    Sloppy(
        "ESC colour code in a manufacturer",
        equipment_file(row_with(manufacturer="\x1b[31mWIKA")),
        2,
        "manufacturer",
        "data.error.control_character",
        "U+001B ở vị trí 1",
        "U+001B at position 1",
    ),
    Sloppy(
        "C1 control (CSI) in a model",
        equipment_file(row_with(model="CPB\x9b5800")),
        2,
        "model",
        "data.error.control_character",
        "U+009B",
        "U+009B",
    ),
    Sloppy(
        "DEL in a name",
        equipment_file(row_with(name="Áp kế\x7f")),
        2,
        "name",
        "data.error.control_character",
        "U+007F ở vị trí 6",
        "U+007F at position 6",
    ),
    Sloppy(
        "zero-width space in a serial",
        equipment_file(row_with(serial_no="NEW\u200b-1")),
        2,
        "serial_no",
        "data.error.invisible_character",
        "ký tự vô hình U+200B ở vị trí 4",
        "invisible character U+200B at position 4",
    ),
    Sloppy(
        "zero-width joiner in a name",
        equipment_file(row_with(name="Áp\u200dkế")),
        2,
        "name",
        "data.error.invisible_character",
        "U+200D",
        "U+200D",
    ),
    Sloppy(
        "word joiner in a serial",
        equipment_file(row_with(serial_no="NEW\u2060-1")),
        2,
        "serial_no",
        "data.error.invisible_character",
        "U+2060",
        "U+2060",
    ),
    Sloppy(
        "byte-order mark inside a name",
        equipment_file(row_with(name="Áp \ufeffkế")),
        2,
        "name",
        "data.error.invisible_character",
        "U+FEFF ở vị trí 4",
        "U+FEFF at position 4",
    ),
    Sloppy(
        "right-to-left override in a name",
        equipment_file(row_with(name="Áp kế \u202egnp.exe")),
        2,
        "name",
        "data.error.bidi_control",
        "ký tự đảo chiều văn bản U+202E",
        "text-direction override U+202E",
    ),
    Sloppy(
        "left-to-right isolate in a model",
        equipment_file(row_with(model="\u2066CPB")),
        2,
        "model",
        "data.error.bidi_control",
        "U+2066 ở vị trí 1",
        "U+2066 at position 1",
    ),
    Sloppy(
        "line break in a serial",
        equipment_file(row_with(serial_no="NEW\n1")),
        2,
        "serial_no",
        "data.error.line_break_in_code",
        "dấu xuống dòng hoặc tab ở vị trí 4",
        "line break or tab at position 4",
    ),
    Sloppy(
        "tab in a certificate number",
        certificates(certificate(certificate_no="IMTS\t9001")),
        2,
        "certificate_no",
        "data.error.line_break_in_code",
        "phải nằm trên một dòng",
        "must be on one line",
        kind=CALIBRATION,
    ),
    Sloppy(
        "a name of only zero-width spaces",
        equipment_file(row_with(name="\u200b\u200b\u200b")),
        2,
        "name",
        "data.error.invisible_character",
        "U+200B ở vị trí 1",
        "U+200B at position 1",
    ),
    Sloppy(
        "a name of only Hangul fillers",
        equipment_file(row_with(name="\u3164\u3164")),
        2,
        "name",
        "data.error.blank_text",
        "chỉ gồm các ký tự không hiện ra",
        "made only of characters that do not show",
    ),
    Sloppy(
        "NUL in a serial (XLSX)",
        xlsx_row(serial_no="HOSTILE&#x200B;-1"),
        2,
        "serial_no",
        "data.error.invisible_character",
        "U+200B ở vị trí 8",
        "U+200B at position 8",
    ),
    Sloppy(
        "right-to-left override in a name (XLSX)",
        xlsx_row(name="&#x202E;ếk pÁ"),
        2,
        "name",
        "data.error.bidi_control",
        "U+202E ở vị trí 1",
        "U+202E at position 1",
    ),
    # text caps: one table for import and editor
    Sloppy(
        "a 500-character name",
        equipment_file(row_with(name="Á" * 500)),
        2,
        "name",
        "data.error.too_long",
        "dài 500 ký tự, vượt quá 200",
        "500 characters long, more than the 200",
    ),
    Sloppy(
        "a 100,000-character name",
        equipment_file(row_with(name="x" * 100_000)),
        2,
        "name",
        "data.limit.cell_too_long",
        "Ô dài 100000 ký tự, vượt giới hạn 1000",
        "The cell is 100000 characters long, over the limit of 1000",
    ),
    Sloppy(
        "a 65-character serial",
        equipment_file(row_with(serial_no="S" * 65)),
        2,
        "serial_no",
        "data.error.too_long",
        "dài 65 ký tự, vượt quá 64",
        "65 characters long, more than the 64",
    ),
    Sloppy(
        "a 121-character provider",
        certificates(certificate(provider="P" * 121)),
        2,
        "provider",
        "data.error.too_long",
        "vượt quá 120",
        "more than the 120",
        kind=CALIBRATION,
    ),
    # look-alike serials: case, full width, spaces
    Sloppy(
        "the same serial in another case in the file",
        equipment_file(row_with(), row_with(serial_no="new-1")),
        3,
        "serial_no",
        "data.error.duplicate_serial_lookalike_in_file",
        'trông giống hệt "NEW-1" ở dòng 2',
        'looks the same as "NEW-1" on row 2',
    ),
    Sloppy(
        "the same serial in full-width characters in the file",
        equipment_file(row_with(), row_with(serial_no="ＮＥＷ－１")),
        3,
        "serial_no",
        "data.error.duplicate_serial_lookalike_in_file",
        '"ＮＥＷ－１" trông giống hệt "NEW-1"',
        '"ＮＥＷ－１" looks the same as "NEW-1"',
    ),
    Sloppy(
        "a held serial in lower case",
        equipment_file(row_with(serial_no="overdue-1")),
        2,
        "serial_no",
        "data.error.duplicate_serial_lookalike_existing",
        'trông giống hệt "OVERDUE-1" đã có trong thiết bị của C-TQ',
        'looks the same as "OVERDUE-1", already among C-TQ\'s equipment',
    ),
    Sloppy(
        "a held serial with a full-width digit",
        equipment_file(row_with(serial_no="OVERDUE-１")),
        2,
        "serial_no",
        "data.error.duplicate_serial_lookalike_existing",
        '"OVERDUE-1"',
        '"OVERDUE-1"',
    ),
    Sloppy(
        "a held serial within spaces",
        equipment_file(row_with(serial_no="  OVERDUE-1\u00a0")),
        2,
        "serial_no",
        "data.error.duplicate_serial_existing",
        'Số sê-ri "OVERDUE-1" đã có',
        'Serial number "OVERDUE-1" is already',
    ),
    # plausibility per quantity kind
    Sloppy(
        "a negative mass",
        equipment_file(row_with(quantity="mass", instrument_type="", range="-5–10 kg", uncertainty="0,1 kg")),
        2,
        "range",
        "data.error.negative_not_possible",
        'xuống dưới 0, điều không thể với đại lượng "mass"',
        'goes below 0, which is impossible for the quantity "mass"',
    ),
    Sloppy(
        "a range below 0 K",
        equipment_file(
            row_with(quantity="temperature", instrument_type="", range="-300 … 100 °C", uncertainty="0,1 °C")
        ),
        2,
        "range",
        "data.error.below_absolute_zero",
        "xuống dưới 0 K",
        "goes below 0 K",
    ),
    Sloppy(
        "a gauge pressure below a perfect vacuum",
        equipment_file(row_with(range="-2–10 bar")),
        2,
        "range",
        "data.error.below_vacuum",
        "xuống dưới -101325 Pa",
        "goes below -101325 Pa",
    ),
    Sloppy(
        "a negative uncertainty",
        equipment_file(row_with(uncertainty="-0,015 %")),
        2,
        "uncertainty",
        "data.error.uncertainty_not_positive",
        "phải lớn hơn 0 (đã nhập -0.015 %)",
        "must be greater than 0 (entered: -0.015 %)",
    ),
    Sloppy(
        "a zero uncertainty",
        equipment_file(row_with(uncertainty="0 %")),
        2,
        "uncertainty",
        "data.error.uncertainty_not_positive",
        "phải lớn hơn 0",
        "must be greater than 0",
    ),
    Sloppy(
        "a 500 % uncertainty",
        equipment_file(row_with(uncertainty="500 %")),
        2,
        "uncertainty",
        "data.error.uncertainty_over_100",
        "500 % vượt quá 100 %",
        "500 % is over 100 %",
    ),
    Sloppy(
        "an uncertainty wider than the range",
        equipment_file(row_with(uncertainty="100 MPa")),
        2,
        "uncertainty",
        "data.error.uncertainty_over_span",
        "100 MPa lớn hơn cả phạm vi đo",
        "100 MPa is larger than the equipment's",
    ),
    Sloppy(
        "acquired in 1899",
        equipment_file(row_with(acquired_on="31/12/1899")),
        2,
        "acquired_on",
        "data.error.before_1900",
        "Ngày 31/12/1899 trước năm 1900",
        "The date 31/12/1899 is before 1900",
    ),
    Sloppy(
        "a certificate dated 1850",
        certificates(certificate(calibrated_on="01/01/1850")),
        2,
        "calibrated_on",
        "data.error.before_1900",
        "01/01/1850 trước năm 1900",
        "01/01/1850 is before 1900",
        kind=CALIBRATION,
    ),
    Sloppy(
        "a certificate before the item was acquired",
        certificates(certificate(calibrated_on="15/06/2019")),
        2,
        "calibrated_on",
        "data.error.calibrated_before_acquired",
        "15/06/2019 sớm hơn ngày thiết bị được đưa vào sử dụng (01/01/2020)",
        "15/06/2019 is before the equipment was put into service (01/01/2020)",
        kind=CALIBRATION,
    ),
    Sloppy(
        "due on 31/12/9999",
        certificates(certificate(due_on="31/12/9999")),
        2,
        "due_on",
        "data.error.due_too_far",
        "31/12/9999 xa hơn 10 năm sau ngày hiệu chuẩn (muộn nhất 10/01/2036)",
        "31/12/9999 is more than 10 years after the calibration (at the latest 10/01/2036)",
        kind=CALIBRATION,
    ),
    Sloppy(
        "a certificate's negative uncertainty",
        certificates(certificate(uncertainty="-0,2 MPa")),
        2,
        "uncertainty",
        "data.error.uncertainty_not_positive",
        "(đã nhập -0.2 MPa)",
        "(entered: -0.2 MPa)",
        kind=CALIBRATION,
    ),
    Sloppy(
        "a certificate's uncertainty wider than the range",
        certificates(certificate(uncertainty="100")),
        2,
        "uncertainty",
        "data.error.uncertainty_over_span",
        "100 MPa lớn hơn",
        "100 MPa is larger",
        kind=CALIBRATION,
    ),
    # providers by name: the same issuer however written, so the number is a duplicate
    Sloppy(
        "VMI by its Vietnamese name",
        certificates(certificate(provider=VMI_NAME_VI, certificate_no="VMI-0001")),
        2,
        "certificate_no",
        "data.error.duplicate_certificate_existing",
        'số "VMI-0001" của VMI đã có',
        'Certificate "VMI-0001" of VMI is already',
        kind=CALIBRATION,
    ),
    Sloppy(
        "VMI without diacritics, in capitals",
        certificates(certificate(provider="VIEN DO LUONG VIET NAM", certificate_no="VMI-0001")),
        2,
        "certificate_no",
        "data.error.duplicate_certificate_existing",
        "của VMI",
        "of VMI",
        kind=CALIBRATION,
    ),
    Sloppy(
        "VMI by its English name",
        certificates(certificate(provider="vietnam metrology institute", certificate_no="VMI-0001")),
        2,
        "certificate_no",
        "data.error.duplicate_certificate_existing",
        "của VMI",
        "of VMI",
        kind=CALIBRATION,
    ),
    Sloppy(
        "a center by its name before the merger",
        certificates(certificate(provider=TQ_FORMER_NAME.upper(), certificate_no="C-TQ-0001")),
        2,
        "certificate_no",
        "data.error.duplicate_certificate_existing",
        'số "C-TQ-0001" của C-TQ',
        'Certificate "C-TQ-0001" of C-TQ',
        kind=CALIBRATION,
    ),
    Sloppy(
        "code and name for one certificate in one file",
        certificates(
            certificate(provider="VMI", certificate_no="VMI-7"),
            certificate(serial_no="SOON-1", provider=VMI_NAME_EN, certificate_no="VMI-7"),
        ),
        3,
        "certificate_no",
        "data.error.duplicate_certificate_in_file",
        "đã có ở dòng 2",
        "already on row 2",
        kind=CALIBRATION,
    ),
]


@pytest.mark.parametrize("case", SLOPPY_IMPORTS, ids=lambda case: case.name)
def test_a_sloppy_import_value_gets_its_own_message_and_writes_nothing(
    engine: Engine, network: dict[str, int], case: Sloppy
) -> None:
    before = fingerprint(engine)
    run = run_equipment if case.kind == "equipment" else run_calibrations
    result = run(engine, case.data)
    assert not result.ok and result.written == 0
    matching = [p for p in result.problems if (p.row, p.column, p.key) == (case.row, case.column, case.key)]
    assert matching, [(p.row, p.column, p.key, p.message("en")) for p in result.problems]
    assert case.vi in matching[0].located("vi"), matching[0].located("vi")
    assert case.en in matching[0].located("en"), matching[0].located("en")
    assert fingerprint(engine) == before


@dataclass(frozen=True)
class Edit:
    name: str
    column: str
    value: str
    key: str
    vi: str
    en: str


SLOPPY_EDITS = [
    Edit(
        "NUL in a name",
        "name",
        "Áp\x00kế",
        "data.error.control_character",
        "U+0000 ở vị trí 3",
        "U+0000 at position 3",
    ),
    Edit(
        "a name of only zero-width spaces",
        "name",
        "\u200b\u200b",
        "data.error.invisible_character",
        "ký tự vô hình U+200B",
        "invisible character U+200B",
    ),
    Edit(
        "a name of only Hangul fillers",
        "name",
        "\u3164",
        "data.error.blank_text",
        "không hiện ra",
        "do not show",
    ),
    Edit(
        "a name of only no-break spaces",
        "name",
        "\u00a0\u00a0",
        "data.error.required",
        "Thiếu giá trị bắt buộc",
        "A required value is missing",
    ),
    Edit(
        "a 100,000-character name",
        "name",
        "x" * 100_000,
        "data.error.too_long",
        "dài 100000 ký tự, vượt quá 200",
        "100000 characters long, more than the 200",
    ),
    Edit(
        "a 201-character model",
        "model",
        "M" * 201,
        "data.error.too_long",
        "vượt quá 200",
        "more than the 200",
    ),
    Edit(
        "right-to-left override in a manufacturer",
        "manufacturer",
        "WIKA\u202e",
        "data.error.bidi_control",
        "U+202E ở vị trí 5",
        "U+202E at position 5",
    ),
    Edit(
        "a range below a perfect vacuum",
        "range",
        "-2–10 bar",
        "data.error.below_vacuum",
        "-101325 Pa",
        "-101325 Pa",
    ),
    Edit("NUL inside a range", "range", "0–60\x00 MPa", "data.error.control_character", "U+0000", "U+0000"),
    Edit(
        "a negative uncertainty",
        "uncertainty",
        "-0,5 %",
        "data.error.uncertainty_not_positive",
        "(đã nhập -0.5 %)",
        "(entered: -0.5 %)",
    ),
    Edit(
        "a 500 % uncertainty",
        "uncertainty",
        "500 %",
        "data.error.uncertainty_over_100",
        "vượt quá 100 %",
        "over 100 %",
    ),
    Edit(
        "an uncertainty wider than the range",
        "uncertainty",
        "61 MPa",
        "data.error.uncertainty_over_span",
        "lớn hơn cả phạm vi đo",
        "larger than the equipment's whole measuring range",
    ),
    Edit(
        "a range with a 5,000-digit exponent: past the cell length",
        "range",
        f"0–1e{'9' * 5000} MPa",
        "data.error.too_long",
        "vượt quá 1000",
        "more than the 1000",
    ),
]


@pytest.mark.parametrize("case", SLOPPY_EDITS, ids=lambda case: case.name)
def test_a_sloppy_editor_value_gets_its_own_message_and_writes_nothing(
    engine: Engine, network: dict[str, int], case: Edit
) -> None:
    before = fingerprint(engine)
    with Session(engine) as session:
        result = editing.save_equipment_edits(
            session,
            username="tq",
            center_code="C-TQ",
            changes={network["overdue"]: {case.column: case.value}},
        )
    assert [(p.serial, p.column, p.key) for p in result.problems] == [("OVERDUE-1", case.column, case.key)]
    assert case.vi in result.problems[0].located("vi"), result.problems[0].located("vi")
    assert case.en in result.problems[0].located("en"), result.problems[0].located("en")
    assert fingerprint(engine) == before


def test_decomposed_vietnamese_is_stored_composed_and_spaces_are_tidied(
    engine: Engine, network: dict[str, int]
) -> None:
    decomposed = "A\u0301p ke\u0302\u0301  chua\u0302\u0309n"  # "Áp kế  chuẩn" typed with combining marks
    result = run_equipment(engine, equipment_file(row_with(name=decomposed, model=" CPB\u00a05800 ")))
    assert result.ok and result.written == 1, [p.located("en") for p in result.problems]
    from tests.test_imports import stored

    row = stored(engine, "NEW-1")
    assert (row["name"], row["model"]) == ("Áp kế chuẩn", "CPB 5800")


def test_the_former_column_labels_still_import(engine: Engine, network: dict[str, int]) -> None:
    for serial, label in (("OLD-VI", "Chuẩn đo lường"), ("OLD-EN", "Measurement standard")):
        header = EQUIPMENT_HEADER.replace("reference_standard", label)
        result = run_equipment(engine, equipment_file(row_with(serial_no=serial), header=header))
        assert result.ok and result.written == 1, [p.located("en") for p in result.problems]
        from tests.test_imports import stored

        assert bool(stored(engine, serial)["is_reference_standard"])


def test_a_provider_written_by_name_is_stored_as_the_center(engine: Engine, network: dict[str, int]) -> None:
    result = run_calibrations(
        engine, certificates(certificate(provider="Viện đo lường Việt Nam", certificate_no="VMI-0002"))
    )
    assert result.ok and result.written == 1, [p.located("en") for p in result.problems]
    from sqlalchemy import text

    with engine.connect() as connection:
        provider = connection.execute(
            text(
                "SELECT c.code, r.provider_name FROM calibration_record r JOIN center c "
                "ON c.id = r.provider_center_id WHERE certificate_no = 'VMI-0002'"
            )
        ).one()
    assert tuple(provider) == ("VMI", "VMI")
