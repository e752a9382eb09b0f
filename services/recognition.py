"""Designation vs accreditation: the standing a capability may claim, named the way the law does.

Verification (*kiểm định*) of Group 2 instruments needs designation by the state (*được chỉ định*,
Law on Metrology Art. 25); VILAS accreditation (ISO/IEC 17025) concerns calibration and testing.
So a verification capability is reported only as designated or not, whatever its ``accredited``
column holds, and a calibration or testing capability only as accredited or not.
"""

from __future__ import annotations

from enum import StrEnum

import pandas as pd
from sqlalchemy import ColumnElement, and_, case, literal
from sqlmodel import col

from services.models import Capability, Service


class Recognition(StrEnum):
    DESIGNATED = "designated"
    NOT_DESIGNATED = "not_designated"
    ACCREDITED = "accredited"
    NOT_ACCREDITED = "not_accredited"


def recognition(service: str, *, accredited: bool, designated: bool) -> Recognition:
    """What one capability may be called: designated (verification) or accredited (the others)."""
    if service == Service.VERIFICATION.value:
        return Recognition.DESIGNATED if designated else Recognition.NOT_DESIGNATED
    return Recognition.ACCREDITED if accredited else Recognition.NOT_ACCREDITED


def recognitions(frame: pd.DataFrame) -> pd.Series:
    """``recognition`` for every row of a frame with ``service``, ``accredited`` and ``designated``."""
    return pd.Series(
        [
            recognition(str(s), accredited=bool(a), designated=bool(d)).value
            for s, a, d in zip(frame["service"], frame["accredited"], frame["designated"], strict=True)
        ],
        index=frame.index,
        dtype=object,
    )


def is_designated() -> ColumnElement[bool]:
    """SQL: a verification capability whose center is designated for it."""
    return and_(col(Capability.service) == Service.VERIFICATION.value, col(Capability.designated).is_(True))


def is_accredited() -> ColumnElement[bool]:
    """SQL: a calibration or testing capability under VILAS accreditation (never a verification)."""
    return and_(col(Capability.service) != Service.VERIFICATION.value, col(Capability.accredited).is_(True))


def counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 where ``condition`` holds, else 0: sum it to count, max it to ask "any?"."""
    return case((condition, literal(1)), else_=literal(0))
