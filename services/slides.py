"""The presenter deck as data: each slide's title, subtitle, numbers, chart rows and table.

The presenter page, the PowerPoint deck and the PDF report all read these slides, so they never
disagree. Every text is already translated (``lang``) and every number formatted; the charts come
from ``services.chart_specs`` through ``Slide.chart()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import altair as alt
import pandas as pd
from sqlalchemy import func, text
from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from services import chart_specs
from services.boundaries import boundaries_of
from services.calibration import STATUS_ORDER, status_query
from services.cooperation import agreements, events, pipeline_counts, stage_history, stage_text, term_text
from services.coverage import coverage_gaps, coverage_grid
from services.filter_choices import filter_options
from services.filters import Filters
from services.i18n import format_day, format_number, format_percentage, translate, translate_plural
from services.kpis import kpi_summary
from services.map_chart import slide_map
from services.models import AgreementStage, Equipment, MeasurementField, Quantity
from services.network import centers_frame, regions
from services.overview import center_points
from services.province_map import MapMeasure, province_measures
from services.sources import real_source_citations

SLIDE_KEYS = ("kpis", "map", "capacity", "coverage", "pipeline", "timeline", "next_steps")
WAITING_STAGES = (AgreementStage.PROPOSED.value, AgreementStage.NEGOTIATING.value)
SIGNED_STAGES = (AgreementStage.SIGNED.value, AgreementStage.ACTIVE.value)
SLIDE_MAP_MEASURE = MapMeasure.IN_DATE  # the deck's map: how much of each province's equipment is in date
SLIDE_TABLE_ROWS = 8  # what a projector can show legibly under a chart


@dataclass(frozen=True)
class Slide:
    key: str
    lang: str
    title: str
    subtitle: str
    kpis: tuple[tuple[str, str], ...] = ()
    chart_data: dict[str, pd.DataFrame] = field(default_factory=dict)
    table: pd.DataFrame | None = None  # translated headers, formatted cells
    table_title: str = ""
    empty_message: str | None = None  # shown instead of the chart when the filters leave nothing
    sources: tuple[tuple[str, str], ...] = ()  # (citation, address) of the real records the slide shows

    @property
    def number(self) -> int:
        return SLIDE_KEYS.index(self.key) + 1

    def chart(self) -> alt.TopLevelMixin | None:
        if self.empty_message or not self.chart_data:
            return None
        data = self.chart_data
        if self.key == "map":
            return slide_map(data["measures"], data["points"], SLIDE_MAP_MEASURE, self.lang)
        if self.key == "capacity":
            return chart_specs.capacity_by_field(data["counts"], self.lang)
        if self.key == "coverage":
            return chart_specs.coverage_by_region(data["coverage"], self.lang)
        if self.key == "pipeline":
            return chart_specs.pipeline_bars(data["pipeline"], self.lang)
        if self.key == "timeline":
            return chart_specs.cooperation_timeline(data["history"], data["milestones"], self.lang)
        return None


class DeckData:
    """The service results the slides read, each fetched once per deck (several slides share them)."""

    def __init__(self, session: Session, filters: Filters) -> None:
        self.session, self.filters = session, filters

    @cached_property
    def gaps(self) -> pd.DataFrame:
        return coverage_gaps(self.session, self.filters)

    @cached_property
    def agreements(self) -> pd.DataFrame:
        return agreements(self.session, self.filters)

    @cached_property
    def centers(self) -> pd.DataFrame:
        return centers_frame(self.session, self.filters).set_index("id")


def slide_count() -> int:
    return len(SLIDE_KEYS)


def build_slide(session: Session, filters: Filters, *, key: str, lang: str) -> Slide:
    """One slide, for the presenter page (which shows one at a time)."""
    return _BUILDERS[key](DeckData(session, filters), lang)


def build_deck(session: Session, filters: Filters, *, lang: str, data: DeckData | None = None) -> list[Slide]:
    """Every slide, in order, for the exports."""
    data = data or DeckData(session, filters)
    return [_BUILDERS[key](data, lang) for key in SLIDE_KEYS]


def describe_filters(session: Session, filters: Filters, lang: str) -> str:
    """The filters in words ("as of 14/06/2024 · boundaries of the day · province: Hai Phong")."""
    options = filter_options(session, filters)
    parts = [
        translate("presenter.scope.as_of", lang, date=format_day(filters.as_of, lang)),
        translate(f"boundaries.{filters.boundaries.value}", lang),
    ]
    named = (
        ("filters.province", filters.province, options.regions),
        ("filters.center", filters.center, options.centers),
        ("filters.field", filters.field, options.fields),
        ("filters.instrument_type", filters.instrument_type, options.instrument_types),
    )
    for label_key, code, frame in named:
        if code:
            names = dict(zip(frame["code"], frame[f"name_{lang}"], strict=True))
            parts.append(f"{translate(label_key, lang)}: {names.get(code, code)}")
    if filters.service:
        parts.append(f"{translate('filters.service', lang)}: {translate(f'service.{filters.service}', lang)}")
    return " · ".join(parts)


def equipment_by_field(session: Session, filters: Filters) -> pd.DataFrame:
    """Equipment per measurement field and calibration status on ``as_of`` (zero rows omitted)."""
    query = status_query(
        session, filters, lambda status, _due, _last: [col(Equipment.quantity_code), status, func.count()]
    ).group_by(Equipment.quantity_code, text("calibration_status"))
    rows = pd.DataFrame(session.execute(query).all(), columns=["quantity_code", "status", "equipment"])
    fields = pd.DataFrame(
        session.execute(
            select_columns(
                col(Quantity.code),
                col(MeasurementField.code),
                col(MeasurementField.name_vi),
                col(MeasurementField.name_en),
                col(MeasurementField.sort_order),
            ).join(MeasurementField, col(MeasurementField.code) == col(Quantity.field_code))
        ).all(),
        columns=["quantity_code", "field_code", "field_name_vi", "field_name_en", "sort_order"],
    )
    merged = rows.merge(fields, on="quantity_code")
    columns = ["field_code", "field_name_vi", "field_name_en", "sort_order", "status"]
    counts = merged.groupby(columns, as_index=False)[["equipment"]].sum()
    counts["status_rank"] = counts["status"].map(STATUS_ORDER.index)
    return (
        counts.sort_values(["sort_order", "status_rank"]).drop(columns="status_rank").reset_index(drop=True)
    )


def _t(lang: str) -> Callable[..., str]:
    return lambda key, **params: translate(key, lang, **params)


def _count(lang: str) -> Callable[[str, int], str]:
    """``count("count.centers", 3)`` → "3 centers": a counted noun in its plural form."""
    return lambda key, value: translate_plural(key, int(value), lang)


def _title(key: str, lang: str) -> str:
    return translate(f"presenter.slide.{key}.title", lang)


def _kpis_slide(data: DeckData, lang: str) -> Slide:
    session, filters = data.session, data.filters
    t, n = _t(lang), lambda value: format_number(value, lang)
    summary = kpi_summary(session, filters)
    scope = describe_filters(session, filters, lang)
    if summary.centers == 0:
        return Slide("kpis", lang, _title("kpis", lang), scope, empty_message=t("empty.no_centers"))
    kpis = (
        (t("kpi.centers"), n(summary.centers)),
        (t("presenter.kpi.provinces"), n(summary.provinces)),
        (t("kpi.equipment"), n(summary.equipment)),
        (t("kpi.in_date_share"), format_percentage(summary.in_date_share, lang, 1)),
        (t("kpi.overdue"), n(summary.overdue)),
        (t("kpi.capabilities"), n(summary.capabilities)),
        (t("kpi.gaps"), n(summary.gaps)),
        (t("kpi.agreements_signed"), n(summary.agreements_signed)),
    )
    return Slide("kpis", lang, _title("kpis", lang), scope, kpis=kpis)


def _map_slide(data: DeckData, lang: str) -> Slide:
    session, filters = data.session, data.filters
    t = _t(lang)
    points = center_points(session, filters)
    if points.empty:
        return Slide("map", lang, _title("map", lang), "", empty_message=t("empty.no_centers"))
    count = _count(lang)
    subtitle = t(
        f"map.slide.subtitle.{SLIDE_MAP_MEASURE.value}",
        centers=count("count.centers", len(points)),
        equipment=count("count.equipment", int(points["equipment"].sum())),
        boundaries=t(f"map.boundaries.{boundaries_of(filters)}"),
    )
    measures = province_measures(session, filters)
    return Slide(
        "map", lang, _title("map", lang), subtitle, chart_data={"points": points, "measures": measures}
    )


def _capacity_slide(data: DeckData, lang: str) -> Slide:
    session, filters = data.session, data.filters
    t, n = _t(lang), lambda value: format_number(value, lang)
    counts = equipment_by_field(session, filters)
    if counts.empty:
        return Slide(
            "capacity", lang, _title("capacity", lang), "", empty_message=t("presenter.empty.no_equipment")
        )
    overdue = int(counts.loc[counts["status"] == "overdue", "equipment"].sum())
    count = _count(lang)
    subtitle = t(
        "presenter.capacity.subtitle",
        equipment=count("count.equipment_and_standards", int(counts["equipment"].sum())),
        fields=count("count.fields", counts["field_code"].nunique()),
        overdue=n(overdue),
    )
    return Slide("capacity", lang, _title("capacity", lang), subtitle, chart_data={"counts": counts})


def gaps_table(gaps: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The gaps as a reader sees them: province, instrument type, nearest center, distance."""
    t = _t(lang)
    return pd.DataFrame(
        {
            t("label.province"): gaps[f"region_name_{lang}"],
            t("label.instrument_type"): gaps[f"type_name_{lang}"],
            t("label.nearest_center"): gaps["nearest_center"].fillna("—"),
            t("label.distance_km"): gaps["distance_km"].map(
                lambda km: format_number(km, lang) if pd.notna(km) else "—"
            ),
        }
    ).reset_index(drop=True)


def _coverage_slide(data: DeckData, lang: str) -> Slide:
    session, filters = data.session, data.filters
    t = _t(lang)
    # coverage_grid needs provinces to cross with instrument types (an empty database has none)
    grid = coverage_grid(session, filters) if not regions(session, filters).empty else pd.DataFrame()
    if grid.empty:
        return Slide("coverage", lang, _title("coverage", lang), "", empty_message=t("empty.no_coverage"))
    gaps = data.gaps
    # the grid lists every legally controlled type per region; the gaps are the ones not verified locally
    per_region = grid.groupby(["region_code", "region_vi", "region_en"], as_index=False).size()
    missing = gaps.groupby("region_code").size()
    per_region["gap"] = per_region["region_code"].map(missing).fillna(0).astype(int)
    per_region["covered"] = per_region["size"] - per_region["gap"]
    coverage = per_region.melt(
        id_vars=["region_code", "region_vi", "region_en"],
        value_vars=["gap", "covered"],
        var_name="kind",
        value_name="types",
    )
    count = _count(lang)
    subtitle = t(
        "presenter.coverage.subtitle",
        gaps=count("count.gaps", len(gaps)),
        regions=count("count.provinces", len(per_region)),
        types=count("count.types", grid["instrument_type_code"].nunique()),
    )
    table = gaps_table(gaps.head(5), lang) if not gaps.empty else None
    return Slide(
        "coverage",
        lang,
        _title("coverage", lang),
        subtitle,
        chart_data={"coverage": coverage},
        table=table,
        table_title=t("overview.largest_gaps"),
    )


def _pipeline_slide(data: DeckData, lang: str) -> Slide:
    session, filters = data.session, data.filters
    t, n = _t(lang), lambda value: format_number(value, lang)
    pipeline = pipeline_counts(session, filters)
    total = int(pipeline["agreements"].sum())
    if total == 0:
        return Slide(
            "pipeline", lang, _title("pipeline", lang), "", empty_message=t("presenter.empty.no_agreements")
        )
    by_stage = pipeline.set_index("stage")["agreements"]
    subtitle = t(
        "presenter.pipeline.subtitle",
        agreements=_count(lang)("count.agreements", total),
        signed=n(int(by_stage[list(SIGNED_STAGES)].sum())),
        waiting=n(int(by_stage[list(WAITING_STAGES)].sum())),
    )
    return Slide(
        "pipeline",
        lang,
        _title("pipeline", lang),
        subtitle,
        chart_data={"pipeline": pipeline},
        sources=real_source_citations(data.agreements, lang),
    )


def milestones(session: Session, filters: Filters, lang: str) -> pd.DataFrame:
    """The real (not demo) events in scope, one per day, a conference before a signing."""
    happened = events(session, filters)
    real = happened[~happened["is_demo"].astype(bool)].copy()
    if real.empty:
        return pd.DataFrame(columns=["held_on", "label"])
    real["rank"] = real["kind"].map({"conference": 0, "signing": 1}).fillna(2)
    real = real.sort_values(["held_on", "rank"]).drop_duplicates("held_on")
    real["label"] = [
        translate(
            f"presenter.timeline.{kind if kind in ('conference', 'signing') else 'event'}",
            lang,
            place=place.split(",")[0],
            date=format_day(held_on, lang),
        )
        for kind, place, held_on in zip(real["kind"], real[f"place_{lang}"], real["held_on"], strict=True)
    ]
    return real[["held_on", "label"]].reset_index(drop=True)


def _timeline_slide(data: DeckData, lang: str) -> Slide:
    session, filters = data.session, data.filters
    t, count = _t(lang), _count(lang)
    history = stage_history(session, filters)
    if history.empty:
        return Slide(
            "timeline", lang, _title("timeline", lang), "", empty_message=t("presenter.empty.no_agreements")
        )
    scoped = data.agreements
    centers = data.centers
    real = scoped[~scoped["is_demo"].astype(bool)].copy()
    real["label"] = [
        t(
            "presenter.timeline.contract",
            province=centers.loc[center_id, f"region_name_{lang}"],
            date=format_day(signed_on, lang) if pd.notna(signed_on) else "—",
        )
        for center_id, signed_on in zip(real["center_id"], real["signed_on"], strict=True)
    ]
    history = history.merge(real[["agreement_id", "label"]], on="agreement_id", how="left")
    history["highlight"] = history["label"].notna()
    history["label"] = history["label"].astype(object).fillna("")  # empty when no real agreement matched
    marks = milestones(session, filters, lang)
    agreements = count("count.agreements", history["agreement_id"].nunique())
    if not marks.empty:
        subtitle = t(
            "presenter.timeline.subtitle_milestone", milestone=marks["label"].iloc[0], agreements=agreements
        )
    else:
        subtitle = t(
            "presenter.timeline.subtitle",
            agreements=agreements,
            changes=count("count.stage_changes", len(history)),
        )
    columns = ["agreement_id", "center_code", "stage", "changed_on", "highlight", "label"]
    sources = dict.fromkeys(
        real_source_citations(scoped, lang) + real_source_citations(events(session, filters), lang)
    )
    return Slide(
        "timeline",
        lang,
        _title("timeline", lang),
        subtitle,
        chart_data={"history": history[columns], "milestones": marks},
        sources=tuple(sources),
    )


def agreements_table(frame: pd.DataFrame, lang: str, *, waiting_since: bool = False) -> pd.DataFrame:
    """Agreements as a reader sees them: center, stage, dates (dd/mm/yyyy), real or demo.

    What a real record's source did not publish (its term, what followed its last stage) reads
    "not published", never "—" (which says no date is set).
    """
    t = _t(lang)
    stages = [
        stage_text(s, bool(known), lang)
        for s, known in zip(frame["stage"].astype(str), frame["later_stages_published"], strict=True)
    ]
    table = pd.DataFrame(
        {
            t("label.center"): frame["center_code"],
            t("label.name"): frame[f"center_name_{lang}"],
            t("label.stage"): stages,
            t("presenter.table.proposed_on"): frame["proposed_on"].map(lambda d: format_day(d, lang)),
        }
    )
    if not waiting_since:
        table[t("presenter.table.signed_on")] = frame["signed_on"].map(
            lambda d: format_day(d, lang) if pd.notna(d) else "—"
        )
        table[t("presenter.table.expires_on")] = [
            term_text(d, bool(known), lang)
            for d, known in zip(frame["expires_on"], frame["term_published"], strict=True)
        ]
    table[t("presenter.table.data")] = frame["is_demo"].map(
        lambda demo: t("cooperation.data.demo" if bool(demo) else "cooperation.data.real")
    )
    return table.reset_index(drop=True)


def _next_steps_slide(data: DeckData, lang: str) -> Slide:
    filters = data.filters
    t, n = _t(lang), lambda value: format_number(value, lang)
    scoped = data.agreements
    waiting = scoped[scoped["stage"].astype(str).isin(WAITING_STAGES)].sort_values("proposed_on")
    if waiting.empty:
        return Slide("next_steps", lang, _title("next_steps", lang), t("presenter.next_steps.none"))
    days = waiting["proposed_on"].map(lambda d: (filters.as_of - d).days)
    table = agreements_table(waiting, lang, waiting_since=True)
    table[t("presenter.table.days_waiting")] = [n(d) for d in days]
    subtitle = t(
        "presenter.next_steps.subtitle",
        agreements=_count(lang)("count.agreements", len(waiting)),
        negotiating=n(int((waiting["stage"].astype(str) == "negotiating").sum())),
    )
    return Slide(
        "next_steps",
        lang,
        _title("next_steps", lang),
        subtitle,
        table=table.head(SLIDE_TABLE_ROWS),
        table_title=t("presenter.next_steps.table"),
    )


_BUILDERS: dict[str, Callable[[DeckData, str], Slide]] = {
    "kpis": _kpis_slide,
    "map": _map_slide,
    "capacity": _capacity_slide,
    "coverage": _coverage_slide,
    "pipeline": _pipeline_slide,
    "timeline": _timeline_slide,
    "next_steps": _next_steps_slide,
}
