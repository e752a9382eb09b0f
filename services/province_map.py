"""What the province map colours by: per province, equipment in date, open gaps, agreement stage.

Every number comes from the service that owns its rule (calibration status, verification gaps,
agreements), grouped by the province each center counts in under the filters' boundaries. The
map always shows the whole region: the province and center filters outline a province instead
of hiding the others (and the centers drawn on it stay those of the filters).
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

import pandas as pd
from sqlmodel import Session

from services.calibration import WITHIN_DATE_STATUSES, status_counts
from services.cooperation import agreements
from services.coverage import coverage_gaps
from services.filters import Filters
from services.models import AgreementStage
from services.network import regions


class MapMeasure(StrEnum):
    IN_DATE = "in_date"  # share of equipment within calibration date, as the KPI card counts it
    GAPS = "gaps"  # legally controlled types the province cannot get verified locally
    STAGE = "stage"  # where its centers' cooperation with IMTS stands


# A province shows its furthest live agreement; an ended one only when none is live.
STAGE_PRECEDENCE = [
    AgreementStage.ACTIVE.value,
    AgreementStage.SIGNED.value,
    AgreementStage.NEGOTIATING.value,
    AgreementStage.PROPOSED.value,
    AgreementStage.EXPIRED.value,
    AgreementStage.CANCELLED.value,
]
# the KPI card's "within calibration date" counts equipment due soon as still in date


def whole_region(filters: Filters) -> Filters:
    return replace(filters, province=None, center=None)


def province_measures(session: Session, filters: Filters) -> pd.DataFrame:
    """One row per province of the boundaries: key, code, names, equipment, in_date_share, gaps,
    stage, chosen (the province the filters name).

    ``in_date_share`` is None where a province holds no equipment; ``stage`` is None without agreement.
    """
    whole = whole_region(filters)
    area = regions(session, whole)[["key", "code", "name_vi", "name_en"]].copy()
    counts = status_counts(session, whole)
    equipment = counts.groupby("region_code")["equipment"].sum()
    in_date = counts[counts["status"].isin(WITHIN_DATE_STATUSES)].groupby("region_code")["equipment"].sum()
    area["equipment"] = area["code"].map(equipment).fillna(0).astype(int)
    share = area["code"].map(in_date).fillna(0) / area["equipment"].where(area["equipment"] > 0)
    area["in_date_share"] = share.astype(object).where(share.notna(), None)
    area["gaps"] = (
        area["code"].map(coverage_gaps(session, whole).groupby("region_code").size()).fillna(0).astype(int)
    )
    stages = agreements(session, whole)[["region_code", "stage"]].copy()
    stages["rank"] = stages["stage"].astype(str).map(STAGE_PRECEDENCE.index)
    furthest = stages.sort_values("rank").drop_duplicates("region_code").set_index("region_code")["stage"]
    area["stage"] = area["code"].map(furthest.astype(str)).astype(object)
    area["stage"] = area["stage"].where(area["stage"].notna(), None)
    area["chosen"] = area["code"] == filters.province
    return area.reset_index(drop=True)
