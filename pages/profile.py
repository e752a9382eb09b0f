"""Hồ sơ trung tâm — everything about one center; every page links here with ?center=CODE."""

from collections.abc import Callable
from dataclasses import asdict, replace
from urllib.parse import quote

import pandas as pd
import streamlit as st
from altair.typing import ChartType

from services import network_loss, profile, traceability
from services.cooperation import stage_text, term_text
from services.filters import Filters
from services.formatting import range_text, stored_range_text
from services.overview import center_points
from services.table_limits import first_rows
from ui import charts_profile as charts
from ui.charts import status_label
from ui.charts_cooperation import data_label
from ui.components import (
    chart_with_data,
    csv_download,
    empty_state,
    kpi_cards,
    open_tab,
    page_header,
    real_sources,
    report_download,
)
from ui.data import cached, prepared
from ui.frame import page_frame
from ui.i18n import day, lang, num, pct, t, tn
from ui.plain import plain

STANDARD_KEY = "profile_standard"  # the reverse-traceability standard, mirrored in ?standard=
PICK_KEY = "profile_pick"
TAB_KEY = "tab"  # the open tab, mirrored in ?tab= (its label)
TABLE_HEIGHT = 520
DATE = st.column_config.DateColumn(format="DD/MM/YYYY")

filters = page_frame()
page_header("page.profile", "profile.subtitle")
not_offered = st.session_state.pop("center_not_offered", None)


def profile_link(code: str, as_of: object = None) -> str:
    """A relative link to a profile that keeps the language (and a day to view, when given)."""
    link = f"profile?center={quote(str(code), safe='')}&lang={lang()}"
    return link + (f"&as_of={as_of}" if as_of else "")


def labelled(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The columns a table shows, renamed to translated headers (keys: catalog keys)."""
    return frame[list(columns)].rename(columns={column: t(key) for column, key in columns.items()})


def table(
    frame: pd.DataFrame, columns: dict[str, str], *, dates: tuple[str, ...] = (), **config: object
) -> None:
    frame, total = first_rows(frame)  # the CSV download next to each table keeps every row
    if total > len(frame):
        st.caption(t("table_limits.first_rows", shown=num(len(frame)), total=num(total)))
    shown = labelled(frame.assign(**{c: pd.to_datetime(frame[c]) for c in dates}), columns)  # None → blank
    column_config = {t(columns[c]): DATE for c in dates} | {t(columns[c]): v for c, v in config.items()}
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config=column_config,
        height=min(TABLE_HEIGHT, 38 + 35 * max(len(shown), 1)),
    )


def choose_center() -> None:
    """No center chosen: say how to choose one, offer a picker and the list of centers."""
    if not_offered:
        closed = cached(profile.center_summary, replace(filters, center=not_offered, province=None))
        if closed is not None and not closed.active and closed.successor_code:
            st.warning(
                t(
                    "profile.closed_link",
                    code=plain(closed.code),
                    name=plain(getattr(closed, f"name_{lang()}")),
                    date=day(closed.active_to),
                    successor=plain(closed.successor_code),
                    successor_name=plain(getattr(closed, f"successor_name_{lang()}")),
                    successor_link=profile_link(closed.successor_code),
                    history_link=profile_link(closed.code, closed.active_to),
                ),
                icon=":material/merge:",
            )
        else:
            st.warning(t("profile.not_offered", code=plain(not_offered)))  # straight from the URL
    points = cached(center_points, filters)
    if points.empty:
        empty_state("empty.no_centers")
        return
    empty_state("profile.empty.choose")
    names = dict(zip(points["code"], points[f"name_{lang()}"], strict=True))

    def pick() -> None:
        st.session_state["center"] = st.session_state[PICK_KEY]

    st.selectbox(
        t("profile.pick"),
        sorted(names),
        index=None,
        key=PICK_KEY,
        on_change=pick,
        format_func=lambda code: f"{code} · {names[code]}",
        placeholder=t("profile.pick_placeholder"),
    )
    st.subheader(t("profile.directory"))
    directory = points.sort_values("code").assign(link=points["code"].map(profile_link))
    table(
        directory,
        {
            "link": "profile.col.profile",
            f"name_{lang()}": "label.name",
            f"province_{lang()}": "profile.col.province",
            "equipment": "label.equipment_count",
        },
        link=st.column_config.LinkColumn(display_text=r"center=([^&]*)"),
    )
    csv_download(points, filters, "centers", key="csv-directory")


def loss_view(standard: int) -> None:
    """What the network loses if the chosen standard is out of service (services.network_loss)."""
    # over the whole network, so keyed on it: a filter change on the tab keeps it
    loss = cached(network_loss.network_loss, filters.whole_network(), standard_id=standard)
    if loss is None:
        return
    st.subheader(t("loss.title"))
    st.caption(
        t(
            "loss.caption",
            date=day(filters.as_of),
            standard=plain(f"{loss.holder_code} · {loss.name} · {loss.serial_no}"),
        )
    )
    lost_services(loss, standard)
    if not loss.suspect_chain.empty:
        suspect_chain(loss, standard)


NEAREST = {"nearest": "loss.col.nearest", "distance_km": "loss.col.distance"}


def with_nearest(frame: pd.DataFrame) -> pd.DataFrame:
    """The nearest center that could step in, as one column (or that nobody can)."""
    names = frame[f"nearest_name_{lang()}"]
    return frame.assign(
        nearest=[
            f"{c} · {n}" if isinstance(c, str) else t("loss.nobody")
            for c, n in zip(frame["nearest_center"], names, strict=True)
        ]
    )


def lost_services(loss: network_loss.NetworkLoss, standard: int) -> None:
    """The capabilities the loss suspends and the verification gaps it opens, with who is nearest."""
    st.markdown(f"**{t('loss.suspended')}**")
    if loss.suspended.empty:
        st.success(t("loss.suspended_none"))
    else:
        shown = with_nearest(loss.suspended).assign(
            service_label=loss.suspended["service"].map(lambda s: t(f"service.{s}")),
            state_label=loss.suspended["state_now"].map(lambda s: t(f"capability.state.{s}")),
        )
        table(
            shown,
            {
                "center_code": "label.center",
                f"type_name_{lang()}": "label.instrument_type",
                "service_label": "profile.col.service",
                "range_text": "profile.col.capability_range",
                "state_label": "profile.col.capability_state",
                **NEAREST,
            },
        )
        csv_download(loss.suspended, filters, f"loss-suspended-{standard}", key="csv-loss-suspended")
    st.markdown(f"**{t('loss.gaps')}**")
    if loss.gaps.empty:
        st.success(t("loss.gaps_none"))
    else:
        table(
            with_nearest(loss.gaps),
            {
                f"region_name_{lang()}": "loss.col.province",
                f"type_name_{lang()}": "label.instrument_type",
                **NEAREST,
            },
        )
        csv_download(loss.gaps, filters, f"loss-gaps-{standard}", key="csv-loss-gaps")


CERTIFICATE_COLUMNS = {  # a certificate a standard stood behind, as the reverse views and the loss list it
    "calibrated_on": "profile.col.calibrated_on",
    "certificate_no": "profile.col.certificate_no",
    "holder_code": "profile.col.holder",
    "equipment_name": "profile.col.name",
    "serial_no": "profile.col.serial_no",
    "result_label": "profile.col.result",
}


def with_result_label(certificates: pd.DataFrame) -> pd.DataFrame:
    return certificates.assign(
        result_label=certificates["result"].map(lambda r: charts.result_label(r, lang()))
    )


def suspect_chain(loss: network_loss.NetworkLoss, standard: int) -> None:
    """The certificates downstream of the standard that are in doubt, and the equipment they vouch for."""
    st.markdown(f"**{t('loss.chain')}**")
    st.caption(t("loss.chain_caption"))
    table(
        with_result_label(loss.suspect_chain),
        {"level": "loss.col.level", **CERTIFICATE_COLUMNS},
        dates=("calibrated_on",),
    )
    csv_download(loss.suspect_chain, filters, f"loss-chain-{standard}", key="csv-loss-chain")
    if not loss.affected.empty:
        st.markdown(f"**{t('loss.affected')}**")
        affected = loss.affected.assign(
            service_label=loss.affected["service"].map(lambda s: t(f"service.{s}"))
        )
        table(
            affected,
            {
                "suspect_since": "loss.col.suspect_since",
                "holder_code": "profile.col.holder",
                "equipment_name": "profile.col.name",
                "serial_no": "profile.col.serial_no",
                "center_code": "label.center",
                f"type_name_{lang()}": "label.instrument_type",
                "service_label": "profile.col.service",
            },
            dates=("suspect_since",),
        )
        csv_download(loss.affected, filters, f"loss-affected-{standard}", key="csv-loss-affected")


summary = cached(profile.center_summary, filters)
if summary is None:
    if "standard" in st.query_params:
        del st.query_params["standard"]
    choose_center()
    st.stop()

name = getattr(summary, f"name_{lang()}")
st.header(plain(f"{name} ({summary.code})"))
st.caption(
    " · ".join(
        [
            t(f"profile.kind.{summary.kind}"),
            plain(getattr(summary, f"province_today_name_{lang()}")),
            plain(summary.accreditation_no)
            if summary.accreditation_no
            else t("profile.fact.no_accreditation"),
        ]
    )
)
if summary.successor_code:
    message = "profile.closing" if summary.active else "profile.closed"
    st.warning(
        t(
            message,
            date=day(summary.active_to),
            successor=plain(summary.successor_code),
            successor_name=plain(getattr(summary, f"successor_name_{lang()}")),
            link=profile_link(summary.successor_code),
        ),
        icon=":material/merge:",
    )
if summary.predecessors:
    merged_on = max(p.merged_on for p in summary.predecessors if p.merged_on)
    names = ", ".join(
        f"[{plain(p.code)} · {plain(getattr(p, f'name_{lang()}'))}]({profile_link(p.code, p.active_to)})"
        for p in summary.predecessors
    )
    key = "profile.predecessors_merged" if summary.predecessors_merged else "profile.predecessors_pending"
    st.info(t(key, date=day(merged_on), centers=names), icon=":material/merge:")
narrowing = [
    f"{t(label)}: {plain(value)}"
    for label, value in (
        ("filters.field", filters.field),
        ("filters.instrument_type", filters.instrument_type),
        ("filters.service", filters.service),
    )
    if value
]
if narrowing:
    st.caption(t("profile.filters_note", filters="; ".join(narrowing)))


def overview_tab(summary: profile.CenterSummary, filters: Filters) -> None:
    """KPIs and the facts that identify the center."""
    kpi_cards(
        [
            (t("profile.kpi.equipment"), num(summary.equipment), None, "off"),
            (t("profile.kpi.reference_standards"), num(summary.reference_standards), None, "off"),
            (t("profile.kpi.in_date_share"), pct(summary.in_date_share, 1), None, "off"),
            (t("profile.kpi.overdue"), num(summary.overdue), None, "off"),
        ]
    )
    kpi_cards(
        [
            (t("profile.kpi.capabilities"), num(summary.capabilities), None, "off"),
            (t("profile.kpi.designated"), num(summary.designated_capabilities), None, "off"),
            (t("profile.kpi.accredited"), num(summary.accredited_capabilities), None, "off"),
            (t("profile.kpi.agreements"), num(summary.agreements), None, "off"),
            (t("profile.kpi.due_soon", days=filters.due_window_days), num(summary.due_soon), None, "off"),
        ]
    )
    st.caption(
        t("profile.as_of", date=day(filters.as_of))
        + " "
        + t("capability.counted_caption", date=day(filters.as_of))
    )
    st.subheader(t("profile.facts"))
    if summary.active_to is None:
        state = t("profile.state.active")
    else:
        state = t(
            "profile.state.closing" if summary.active else "profile.state.closed", date=day(summary.active_to)
        )
    facts = [
        ("profile.fact.code", summary.code),
        ("profile.fact.kind", t(f"profile.kind.{summary.kind}")),
        ("profile.fact.accreditation", summary.accreditation_no or t("profile.fact.no_accreditation")),
        (
            "profile.fact.province_2024",
            f"{getattr(summary, f'province_name_{lang()}')} ({summary.province_code})",
        ),
        (
            "profile.fact.province_2025",
            f"{getattr(summary, f'province_today_name_{lang()}')} ({summary.province_today_code})",
        ),
        ("profile.fact.location", f"{num(summary.lat, 4)}, {num(summary.lon, 4)}"),
        ("profile.fact.state", state),
    ]
    if summary.successor_code:
        facts.append(
            (
                "profile.fact.successor",
                f"{summary.successor_code} · {getattr(summary, f'successor_name_{lang()}')}",
            )
        )
    if summary.predecessors:
        facts.append(("profile.fact.predecessors", ", ".join(p.code for p in summary.predecessors)))
    fact_frame = pd.DataFrame({"field": [t(k) for k, _ in facts], "value": [v for _, v in facts]})
    table(fact_frame, {"field": "profile.field", "value": "profile.value"})
    overview_row = {k: v for k, v in asdict(summary).items() if k != "predecessors"}
    overview_row["predecessors"] = ",".join(p.code for p in summary.predecessors)
    csv_download(pd.DataFrame([overview_row]), filters, f"profile-{summary.code}", key="csv-summary")


def chart_or_empty(
    rows: pd.DataFrame,
    build: Callable[[pd.DataFrame, str], ChartType],
    filters: Filters,
    *,
    name: str,
    empty_key: str,
    empty: bool | None = None,
) -> bool:
    """A tab's chart of ``rows`` with its data and downloads, or ``empty_key``'s notice when there
    is nothing to draw (``empty``, else no rows); whether the chart was drawn."""
    nothing = rows.empty if empty is None else empty
    if nothing:
        empty_state(empty_key)
        return False
    chart_with_data(lambda: build(rows, lang()), rows, filters, name=name)
    return True


def equipment_tab(summary: profile.CenterSummary, filters: Filters) -> None:
    """What the center holds, by field, and the list."""
    by_field = cached(profile.equipment_by_field, filters)
    # counted from the same equipment as the list (held on the day, in scope), so empty together
    if chart_or_empty(
        by_field,
        charts.equipment_by_field,
        filters,
        name=f"equipment-by-field-{summary.code}",
        empty_key="profile.empty.no_equipment",
    ):
        equipment = cached(profile.equipment_list, filters)
        st.caption(t("profile.equipment.caption", count=num(len(equipment))))
        table(
            prepared(lambda: equipment_rows(equipment), "profile-equipment-rows", filters, lang()),
            {
                f"field_{lang()}": "profile.col.field",
                "name": "profile.col.name",
                "reference": "profile.col.reference",
                f"type_{lang()}": "profile.col.instrument_type",
                "manufacturer": "profile.col.manufacturer",
                "model": "profile.col.model",
                "serial_no": "profile.col.serial_no",
                "range": "profile.col.range",
                "uncertainty": "profile.col.uncertainty",
                "condition": "profile.col.equipment_status",
                "status_text": "label.status",
                "due_on": "profile.col.due_on",
                "holder_code": "profile.col.holder",
            },
            dates=("due_on",),
        )
        report_download(
            equipment,
            filters,
            "equipment",
            summary.code,
            key="csv-equipment",
            note_key="profile.equipment.export_report",
        )


def equipment_rows(equipment: pd.DataFrame) -> pd.DataFrame:
    """The equipment list as people read it: ranges and uncertainties written out, words for codes."""
    language = lang()
    return equipment.assign(
        range=[
            range_text(lo, hi, unit, language)
            for lo, hi, unit in zip(
                equipment["range_min"], equipment["range_max"], equipment["range_unit"], strict=True
            )
        ],
        uncertainty=[
            charts.uncertainty_text(v, u, language)
            for v, u in zip(equipment["uncertainty_value"], equipment["uncertainty_unit"], strict=True)
        ],
        reference=equipment["is_reference_standard"].map(lambda r: "★" if r else ""),
        condition=equipment["equipment_status"].map(lambda s: t(f"profile.equipment_status.{s}")),
        status_text=equipment["status"].astype(str).map(lambda s: status_label(s, language)),
    )


def capabilities_tab(summary: profile.CenterSummary, filters: Filters) -> None:
    """What it verifies, calibrates and tests, and which standards each service hangs on."""
    capabilities = cached(profile.center_capabilities, filters)
    if capabilities.empty:
        empty_state("profile.empty.no_capabilities")
    else:
        table(
            prepared(lambda: capability_rows(capabilities), "profile-capability-rows", filters, lang()),
            {
                f"field_{lang()}": "profile.col.field",
                f"type_{lang()}": "label.instrument_type",
                "state_label": "profile.col.capability_state",
                "in_date_of": "profile.col.standards_in_date",
                "legal": "profile.col.legal",
                "service_label": "profile.col.service",
                "range_text": "profile.col.capability_range",
                "uncertainty": "profile.col.best_uncertainty",
                "annual_capacity": "profile.col.annual_capacity",
                "recognition_label": "profile.col.recognition",
                "holder_code": "profile.col.holder",
            },
        )
        report_download(
            capabilities,
            filters,
            "capabilities",
            summary.code,
            key="csv-capabilities",
            note_key="profile.capabilities.export_report",
        )
        st.subheader(t("profile.capability_standards.title"))
        st.caption(
            t("profile.capability_standards.caption", date=day(filters.as_of), days=filters.due_window_days)
        )
        backing = cached(profile.capability_standards, filters)
        table(
            prepared(lambda: backing_rows(backing), "profile-backing-rows", filters, lang()),
            {
                "capability": "profile.col.capability",
                "range_text": "profile.col.capability_range",
                "state_label": "profile.col.capability_state",
                "standard": "profile.col.standard",
                "status_text": "profile.col.standard_status",
                "due_on": "profile.col.due_on",
                "in_date_label": "profile.col.standard_in_date",
                "holder_code": "profile.col.holder",
            },
            dates=("due_on",),
        )
        csv_download(backing, filters, f"capability-standards-{summary.code}", key="csv-capability-standards")


def shown_ranges(frame: pd.DataFrame) -> list[str]:
    """Each row's stored range in the reader's numbers (``services.formatting.stored_range_text``)."""
    language = lang()
    return [
        stored_range_text(text, low, high, language)
        for text, low, high in zip(
            frame["range_text"], frame["range_min_si"], frame["range_max_si"], strict=True
        )
    ]


def capability_rows(capabilities: pd.DataFrame) -> pd.DataFrame:
    """The capabilities as people read them: words for codes, standards in date out of all."""
    language = lang()
    return capabilities.assign(
        service_label=capabilities["service"].map(lambda s: t(f"service.{s}")),
        range_text=shown_ranges(capabilities),
        uncertainty=[
            charts.uncertainty_text(v, u, language)
            for v, u in zip(capabilities["uncertainty_value"], capabilities["uncertainty_unit"], strict=True)
        ],
        # a verification is designated (or not), a calibration or test accredited (or not): never mixed
        recognition_label=capabilities["recognition"].map(lambda r: t(f"recognition.{r}")),
        legal=capabilities["legally_controlled"].map(lambda a: t("profile.yes") if a else ""),
        state_label=capabilities["state"].map(lambda s: t(f"capability.state.{s}")),
        in_date_of=[
            f"{num(a)} / {num(b)}"
            for a, b in zip(capabilities["standards_in_date"], capabilities["standards"], strict=True)
        ],
    )


def backing_rows(backing: pd.DataFrame) -> pd.DataFrame:
    """Each capability with the standard it hangs on, that standard's status in words."""
    language = lang()
    return backing.assign(
        range_text=shown_ranges(backing),
        capability=[
            f"{name} · {t(f'service.{service}')}"
            for name, service in zip(backing[f"type_{language}"], backing["service"], strict=True)
        ],
        state_label=backing["state"].map(lambda s: t(f"capability.state.{s}")),
        standard=[
            f"{n} · {sn}" if isinstance(n, str) else t("profile.no_standard_recorded")
            for n, sn in zip(backing["name"], backing["serial_no"], strict=True)
        ],
        status_text=[
            status_label(s, language)
            if isinstance(s, str)
            else (t("profile.standard_not_held") if isinstance(n, str) else "")
            for s, n in zip(backing["status"], backing["name"], strict=True)
        ],
        in_date_label=backing["in_date"].map(lambda ok: "✔" if ok else "✖"),
    )


def status_tab(summary: profile.CenterSummary, filters: Filters) -> None:
    """Its equipment in date, due and overdue."""
    counts = cached(profile.center_status_counts, filters)  # every status, zeros included
    if chart_or_empty(
        counts,
        charts.status_bars,
        filters,
        name=f"status-{summary.code}",
        empty_key="profile.empty.no_equipment",
        empty=int(counts["equipment"].sum()) == 0,
    ):
        st.subheader(t("profile.attention"))
        attention = cached(profile.equipment_needing_attention, filters)
        if attention.empty:
            empty_state("profile.empty.no_attention")
        else:
            shown = attention.assign(
                status_text=attention["status"].astype(str).map(lambda s: status_label(s, lang()))
            )
            table(
                shown,
                {
                    "status_text": "label.status",
                    "name": "profile.col.name",
                    "serial_no": "profile.col.serial_no",
                    "last_calibrated_on": "profile.col.last_calibrated_on",
                    "due_on": "profile.col.due_on",
                    "days_to_due": "profile.col.days_to_due",
                    "holder_code": "profile.col.holder",
                },
                dates=("last_calibrated_on", "due_on"),
            )
            csv_download(attention, filters, f"attention-{summary.code}", key="csv-attention")


def traceability_tab(summary: profile.CenterSummary, filters: Filters) -> None:
    """Its standards' chains; one standard's certificates, drift and what its loss would cost the network."""
    st.subheader(t("profile.trace.title"))
    # the chain depends on the day and the center only: a field filter keeps it cached
    trace = cached(traceability.traceability_overview, traceability.chain_filters(filters))
    chain, links = trace.chain, trace.links
    if chain.empty:
        empty_state("profile.empty.no_standards")
    else:
        st.caption(
            t(
                "profile.trace.caption",
                standards=tn("count.standards", chain["root_id"].nunique()),
                levels=tn("count.levels", int(chain["level"].max())),
            )
        )
        st.markdown(f"**{t('profile.trace.graph')}**")
        st.graphviz_chart(charts.traceability_dot(links, summary.code, lang()), width="stretch")
        csv_download(links, filters, f"traceability-links-{summary.code}", key="csv-trace-links")
        st.markdown(f"**{t('profile.trace.table')}**")
        table(
            prepared(
                lambda: chain_rows(chain), "profile-chain-rows", traceability.chain_filters(filters), lang()
            ),
            {
                "level": "profile.col.level",
                "holder_code": "profile.col.holder",
                "equipment_name": "profile.col.standard",
                "serial_no": "profile.col.serial_no",
                "provider": "profile.col.provider",
                "certificate_no": "profile.col.certificate_no",
                "calibrated_on": "profile.col.calibrated_on",
                "result_label": "profile.col.result",
                "standard": "profile.col.provider_standard",
            },
            dates=("calibrated_on",),
        )
        csv_download(chain, filters, f"traceability-{summary.code}", key="csv-trace-chain")

    st.subheader(t("profile.reverse.title"))
    standard = pick_standard(trace.choices)
    if standard is None:
        if "standard" in st.query_params:
            del st.query_params["standard"]
        empty_state("profile.empty.no_standards")
        return
    st.query_params["standard"] = str(standard)
    standard_view(standard, filters)
    loss_view(standard)


def chain_rows(chain: pd.DataFrame) -> pd.DataFrame:
    """The chain as people read it: each certificate's result in words, who provided it and with what."""
    language = lang()
    return chain.assign(
        result_label=chain["result"].map(
            lambda r: charts.result_label(r, language) if isinstance(r, str) else t("profile.result.none")
        ),
        provider=chain["provider_name"].fillna(t("profile.trace.no_certificate")),
        standard=[
            f"{h} · {n}" if isinstance(n, str) else ""
            for h, n in zip(chain["standard_holder_code"], chain["standard_name"], strict=True)
        ],
    )


def pick_standard(choices: pd.DataFrame) -> int | None:
    """The standard the reverse view shows: from ?standard=ID on arrival, then the picker."""
    options = [int(i) for i in choices["equipment_id"]]
    if STANDARD_KEY not in st.session_state:
        raw = st.query_params.get("standard")
        wanted = int(raw) if raw and raw.isdigit() else None
        if raw and wanted not in options:
            st.warning(t("filters.bad_url_value", param="standard"))
        st.session_state[STANDARD_KEY] = wanted if wanted in options else (options[0] if options else None)
    elif st.session_state[STANDARD_KEY] not in options:
        st.session_state[STANDARD_KEY] = options[0] if options else None
    labels = prepared(lambda: standard_labels(choices), "profile-standard-labels", filters, lang())
    standard = st.selectbox(
        t("profile.reverse.pick"), options, key=STANDARD_KEY, format_func=lambda i: labels.get(i, str(i))
    )
    return None if standard is None else int(standard)


def standard_labels(choices: pd.DataFrame) -> dict[int, str]:
    """Each standard the reverse view offers, by equipment id: holder, name, serial, certificates."""
    return {
        int(row.equipment_id): ("✖ " if row.latest_result == "fail" else "")
        + f"{row.holder_code} · {row.name} · {row.serial_no}"
        + (f" ({t('profile.reverse.upstream')})" if row.upstream else "")
        + f" · {t('profile.reverse.issued_count', count=num(row.certificates_issued))}"
        for row in choices.itertuples()
    }


def standard_view(standard: int, filters: Filters) -> None:
    """What one standard vouched for: its latest verdict, the certificates it supported, its drift."""
    report = cached(traceability.standard_report, traceability.chain_filters(filters), standard_id=standard)
    verdict = report.verdict
    if verdict.failed:
        key = "profile.reverse.failed" if verdict.last_good_on else "profile.reverse.failed_never_good"
        st.error(
            t(
                key,
                date=day(verdict.latest_on),
                last_good=day(verdict.last_good_on),
                count=num(len(report.suspect)),
            ),
            icon=":material/report:",
        )
        if not report.suspect.empty:
            st.markdown(f"**{t('profile.reverse.suspect')}**")
            table(with_result_label(report.suspect), CERTIFICATE_COLUMNS, dates=("calibrated_on",))
            csv_download(report.suspect, filters, f"suspect-{standard}", key="csv-suspect")
    elif verdict.latest_on is None:
        st.info(t("profile.reverse.never", count=num(len(report.calibrated))))
    else:
        st.success(
            t(
                "profile.reverse.latest",
                date=day(verdict.latest_on),
                result=charts.result_label(verdict.latest_result, lang()),
                count=num(len(report.calibrated)),
            )
        )
    st.markdown(f"**{t('profile.reverse.issued')}**")
    if report.calibrated.empty:
        empty_state("profile.empty.not_used")
    else:
        table(
            with_result_label(report.calibrated),
            {**CERTIFICATE_COLUMNS, "due_on": "profile.col.due_on"},
            dates=("calibrated_on", "due_on"),
        )
        csv_download(report.calibrated, filters, f"calibrated-with-{standard}", key="csv-calibrated-with")
    if report.drift.empty:
        empty_state("profile.empty.no_drift")
    else:
        chart_with_data(
            lambda: charts.drift_chart(report.drift, report.uncertainty_unit, lang()),
            report.drift,
            filters,
            name=f"drift-{standard}",
        )


def cooperation_tab(summary: profile.CenterSummary, filters: Filters) -> None:
    """Its agreements with their stages, and its events."""
    cooperation = cached(profile.center_cooperation, filters)
    agreements_section(cooperation, summary.code, filters)
    events_section(cooperation, summary.code, filters)


def agreements_section(cooperation: profile.CenterCooperation, code: str, filters: Filters) -> None:
    """The agreements with their stage on the day, then every stage change."""
    st.subheader(t("profile.agreements"))
    if cooperation.agreements.empty:
        empty_state("profile.empty.no_agreements")
    else:
        found = cooperation.agreements
        agreements = found.assign(
            stage_label=[
                stage_text(s, bool(p), lang())
                for s, p in zip(found["stage"], found["later_stages_published"], strict=True)
            ],
            # a real contract whose term its source did not publish says so instead of a blank date
            term=[
                term_text(e, bool(p), lang())
                for e, p in zip(found["expires_on"], found["term_published"], strict=True)
            ],
            data=found["is_demo"].map(lambda demo: data_label(bool(demo), lang())),
        )
        table(
            agreements,
            {
                f"title_{lang()}": "profile.col.agreement",
                "center_code": "label.center",
                "stage_label": "profile.col.stage",
                "proposed_on": "profile.col.proposed_on",
                "signed_on": "profile.col.signed_on",
                "term": "profile.col.expires_on",
                f"scope_{lang()}": "profile.col.scope",
                "data": "profile.col.data",
                f"source_label_{lang()}": "profile.col.source",
            },
            dates=("proposed_on", "signed_on"),
        )
        real_sources(found)
        csv_download(found, filters, f"agreements-{code}", key="csv-agreements")
        st.markdown(f"**{t('profile.stage_history')}**")
        history = cooperation.stage_history.merge(
            cooperation.agreements[["agreement_id", f"title_{lang()}"]], on="agreement_id"
        )
        history = history.assign(stage_label=history["stage"].astype(str).map(lambda s: t(f"stage.{s}")))
        table(
            history,
            {
                "changed_on": "profile.col.changed_on",
                f"title_{lang()}": "profile.col.agreement",
                "stage_label": "profile.col.stage",
            },
            dates=("changed_on",),
        )
        csv_download(cooperation.stage_history, filters, f"stage-history-{code}", key="csv-stages")


def events_section(cooperation: profile.CenterCooperation, code: str, filters: Filters) -> None:
    """The events it took part in, each with its data label and source."""
    st.subheader(t("profile.events"))
    if cooperation.events.empty:
        empty_state("profile.empty.no_events")
    else:
        events = cooperation.events.assign(
            kind_label=cooperation.events["kind"].map(lambda k: t(f"profile.event_kind.{k}")),
            data=cooperation.events["is_demo"].map(lambda demo: data_label(bool(demo), lang())),
        )
        table(
            events,
            {
                "held_on": "profile.col.held_on",
                f"title_{lang()}": "profile.col.event",
                f"place_{lang()}": "profile.col.place",
                "kind_label": "profile.col.event_kind",
                f"participants_{lang()}": "profile.col.participants",
                "data": "profile.col.data",
                f"source_label_{lang()}": "profile.col.source",
            },
            dates=("held_on",),
        )
        real_sources(cooperation.events)
        csv_download(cooperation.events, filters, f"events-{code}", key="csv-events")


def utilization_tab(summary: profile.CenterSummary, filters: Filters) -> None:
    """Monthly service volumes against capacity."""
    monthly = cached(profile.monthly_utilization, filters)
    if chart_or_empty(
        monthly,
        charts.utilization_chart,
        filters,
        name=f"utilization-{summary.code}",
        empty_key="profile.empty.no_volume",
    ):
        latest = profile.latest_utilization(monthly)
        st.caption(
            t(
                "profile.utilization.caption",
                month=latest.month.strftime("%m/%Y"),
                volume=num(latest.volume),
                capacity=num(latest.monthly_capacity),
                share=pct(latest.utilization),
                average=pct(latest.average_12_months),
            )
        )


TABS = {
    "overview": overview_tab,
    "equipment": equipment_tab,
    "capabilities": capabilities_tab,
    "status": status_tab,
    "traceability": traceability_tab,
    "cooperation": cooperation_tab,
    "utilization": utilization_tab,
}
open_name, open_container = open_tab(list(TABS), "profile.tab", key=TAB_KEY)
with open_container:  # only the open tab runs: a filter change computes one tab, not seven
    TABS[open_name](summary, filters)
