"""The record kinds the data page imports and exports besides equipment and certificates, by name."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

from sqlmodel import Session

from services.record_imports import (
    CAPABILITIES,
    CAPABILITY_EXAMPLES,
    CAPABILITY_STANDARD_EXAMPLES,
    CAPABILITY_STANDARDS,
    VOLUME_EXAMPLES,
    VOLUMES,
    RecordImportResult,
    RecordKind,
    run_import,
    template,
)
from services.record_imports_cooperation import AGREEMENT_EXAMPLES, AGREEMENTS, EVENT_EXAMPLES, EVENTS

KINDS: Final[dict[str, tuple[RecordKind, Sequence[Sequence[str]]]]] = {
    kind.name: (kind, examples)
    for kind, examples in (
        (CAPABILITIES, CAPABILITY_EXAMPLES),
        (CAPABILITY_STANDARDS, CAPABILITY_STANDARD_EXAMPLES),
        (VOLUMES, VOLUME_EXAMPLES),
        (AGREEMENTS, AGREEMENT_EXAMPLES),
        (EVENTS, EVENT_EXAMPLES),
    )
}


def import_records(
    session: Session,
    data: bytes,
    *,
    kind: str,
    center_code: str,
    username: str,
    today: date,
    dry_run: bool = False,
) -> RecordImportResult:
    """Check (and unless ``dry_run`` write) a file of records of ``kind`` for one center."""
    return run_import(
        KINDS[kind][0],
        session,
        data,
        center_code=center_code,
        username=username,
        today=today,
        dry_run=dry_run,
    )


def records_template(kind: str) -> bytes:
    record_kind, examples = KINDS[kind]
    return template(record_kind.columns, examples)
