"""The headline numbers leadership reads first, as of a date and a year before it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from dateutil.relativedelta import relativedelta
from sqlmodel import Session

from services.calibration import CalibrationStatus, status_counts
from services.cooperation import pipeline_counts
from services.coverage import capabilities_by_center, coverage_gaps
from services.filters import Filters
from services.models import AgreementStage
from services.network import center_ids_in_scope, centers_frame, regions, shares_reads


@dataclass(frozen=True)
class KpiSummary:
    centers: int
    provinces: int
    equipment: int
    in_date_share: float  # in date or due soon, over all equipment counted
    overdue: int
    due_soon: int
    never_calibrated: int
    capabilities: int
    gaps: int
    agreements_signed: int  # signed or active on the day

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@shares_reads
def kpi_summary(session: Session, filters: Filters) -> KpiSummary:
    centers = centers_frame(session, filters)
    scope = center_ids_in_scope(centers, filters)
    in_scope = centers if scope is None else centers[centers["id"].isin(scope)]
    active_centers = in_scope[in_scope["active"]]
    statuses = status_counts(session, filters).groupby("status")["equipment"].sum()
    equipment = int(statuses.sum())

    def count(status: CalibrationStatus) -> int:
        return int(statuses.get(status.value, 0))

    pipeline = pipeline_counts(session, filters).set_index("stage")["agreements"]
    area = regions(session, filters)
    if filters.province:
        area = area[area["code"] == filters.province]
    return KpiSummary(
        centers=int(active_centers["id"].nunique()),
        provinces=int(len(area)),
        equipment=equipment,
        in_date_share=(count(CalibrationStatus.IN_DATE) + count(CalibrationStatus.DUE_SOON)) / equipment
        if equipment
        else 0.0,
        overdue=count(CalibrationStatus.OVERDUE),
        due_soon=count(CalibrationStatus.DUE_SOON),
        never_calibrated=count(CalibrationStatus.NEVER),
        capabilities=int(len(_capabilities_in_scope(session, filters))),
        gaps=int(len(coverage_gaps(session, filters))),
        agreements_signed=int(pipeline[AgreementStage.SIGNED.value] + pipeline[AgreementStage.ACTIVE.value]),
    )


def _capabilities_in_scope(session: Session, filters: Filters):
    capable = capabilities_by_center(session, filters)
    if filters.province:
        capable = capable[capable["region_code"] == filters.province]
    return capable


def year_before(filters: Filters) -> Filters:
    """The same view a year earlier: what the cards' deltas compare with."""
    return replace(filters, as_of=filters.as_of - relativedelta(years=1))
