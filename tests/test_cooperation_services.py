"""Cooperation services (and the pure chart helpers) on a tiny network where every answer is worked out by hand.

On top of tests/tiny_network.py (as of AS_OF = 15/01/2026):
- A1, C-TQ: proposed 01/07/2024, negotiating 20/07/2024, signed 01/09/2024, expires 01/09/2027; P, T.
- A2, C-HG: proposed 01/08/2024, cancelled 30/06/2025 (the center closed in the merger); P.
- A3, C-TQ (added here, a real one): proposed 10/01/2022, signed 01/03/2022, expires 01/03/2025; T.
  Nobody recorded its expiry: it is "expired" from the expiry date on all the same.
- events: E1 conference 14/06/2024 at Hạ Long (real; IMTS, C-TQ, C-HG); E2 signing 01/09/2024 at
  Tuyên Quang (real; IMTS, C-TQ); E5 audit 05/05/2025 (demo; C-HG); E3 training 01/10/2025 (demo;
  C-TQ, IMTS); E4 audit 01/03/2026 (demo; after AS_OF, never shown as of AS_OF).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services import models as m
from services.cooperation import (
    agreement_details,
    event_list,
    pipeline_counts,
    scope_matrix,
    stage_summary,
    timeline,
)
from services.filters import Boundaries, Filters
from tests import tiny_network
from tests.tiny_network import AS_OF, BEFORE_MERGER

EARLY = date(2024, 8, 15)
D = date


@pytest.fixture
def coop(engine: Engine) -> tuple[Engine, dict[str, int]]:
    with Session(engine) as session:
        ids = tiny_network.build(session)
        a1 = session.exec(select(m.Agreement).where(m.Agreement.center_id == ids["tq"])).one()
        a2 = session.exec(select(m.Agreement).where(m.Agreement.center_id == ids["hg"])).one()
        a3 = m.Agreement(
            institute_id=ids["imts"],
            center_id=ids["tq"],
            title_vi="HĐ cũ",
            title_en="Old contract",
            stage="signed",
            proposed_on=D(2022, 1, 10),
            signed_on=D(2022, 3, 1),
            expires_on=D(2025, 3, 1),
            scope_fields="T",
            source="test source",
            is_demo=False,
        )
        session.add(a3)
        session.flush()
        session.add(m.AgreementEvent(agreement_id=a3.id, stage="proposed", changed_on=D(2022, 1, 10)))
        session.add(m.AgreementEvent(agreement_id=a3.id, stage="signed", changed_on=D(2022, 3, 1)))

        def event(held_on: date, kind: str, place: str, demo: bool, *centers: int) -> int:
            item = m.Event(
                held_on=held_on,
                place_vi=place,
                place_en=place,
                title_vi=f"{kind} {place}",
                title_en=f"{kind} {place}",
                kind=kind,
                source="IMTS" if not demo else "demo",
                is_demo=demo,
            )
            session.add(item)
            session.flush()
            for center in centers:
                session.add(m.EventParticipant(event_id=item.id, center_id=center))
            return int(item.id)  # type: ignore[arg-type]

        extra = {
            "a1": int(a1.id),
            "a2": int(a2.id),
            "a3": int(a3.id),  # type: ignore[arg-type]
            "e1": event(
                D(2024, 6, 14), "conference", "Hạ Long, Quảng Ninh", False, ids["imts"], ids["tq"], ids["hg"]
            ),
            "e2": event(D(2024, 9, 1), "signing", "Tuyên Quang", False, ids["imts"], ids["tq"]),
            "e3": event(D(2025, 10, 1), "training", "C-TQ", True, ids["tq"], ids["imts"]),
            "e4": event(D(2026, 3, 1), "audit", "C-TQ", True, ids["tq"]),
            "e5": event(D(2025, 5, 5), "audit", "C-HG", True, ids["hg"]),
        }
        session.commit()
    return engine, {**ids, **extra}


def test_stage_summary_groups_stages_as_of_the_day(coop) -> None:
    engine, _ = coop
    with Session(engine) as session:
        now = stage_summary(session, Filters(as_of=AS_OF))
        early = stage_summary(session, Filters(as_of=EARLY))
        before = stage_summary(session, Filters(as_of=D(2021, 12, 31)))
    # A1 signed; A3 past its expiry; A2 cancelled
    assert (now.total, now.in_discussion, now.signed, now.active, now.ended) == (3, 0, 1, 0, 2)
    # A1 negotiating, A2 proposed, A3 signed and not yet expired
    assert (early.total, early.in_discussion, early.signed, early.active, early.ended) == (3, 2, 1, 0, 0)
    assert before.total == 0


def test_timeline_rows_know_only_what_was_known_on_the_day(coop) -> None:
    engine, ids = coop
    with Session(engine) as session:
        now = timeline(session, Filters(as_of=AS_OF)).agreements.set_index("agreement_id")
        early = timeline(session, Filters(as_of=EARLY)).agreements.set_index("agreement_id")
    columns = ["stage", "proposed_on", "signed_on", "expires_on", "end_on", "open", "stage_since"]
    as_rows = {key: tuple(now.loc[ids[key], columns]) for key in ("a1", "a2", "a3")}
    assert as_rows == {
        "a1": ("signed", D(2024, 7, 1), D(2024, 9, 1), D(2027, 9, 1), D(2027, 9, 1), False, D(2024, 9, 1)),
        "a2": ("cancelled", D(2024, 8, 1), None, None, D(2025, 6, 30), False, D(2025, 6, 30)),
        "a3": ("expired", D(2022, 1, 10), D(2022, 3, 1), D(2025, 3, 1), D(2025, 3, 1), False, D(2025, 3, 1)),
    }
    early_rows = {key: tuple(early.loc[ids[key], columns]) for key in ("a1", "a2", "a3")}
    assert early_rows == {
        # signed on 01/09/2024: on 15/08/2024 neither the signing nor the expiry is known yet
        "a1": ("negotiating", D(2024, 7, 1), None, None, EARLY, True, D(2024, 7, 20)),
        "a2": ("proposed", D(2024, 8, 1), None, None, EARLY, True, D(2024, 8, 1)),
        "a3": ("signed", D(2022, 1, 10), D(2022, 3, 1), D(2025, 3, 1), D(2025, 3, 1), False, D(2022, 3, 1)),
    }
    # oldest proposal first, as the Gantt reads top to bottom
    assert list(now.index) == [ids["a3"], ids["a1"], ids["a2"]]
    assert not bool(now.loc[ids["a3"], "is_demo"])
    assert bool(now.loc[ids["a1"], "is_demo"]) is True


def test_timeline_segments_follow_the_stage_history(coop) -> None:
    engine, ids = coop
    with Session(engine) as session:
        now = timeline(session, Filters(as_of=AS_OF)).segments
        early = timeline(session, Filters(as_of=EARLY)).segments
    by_id = {value: key for key, value in ids.items() if key.startswith("a")}

    def spans(frame) -> set[tuple[str, str, date, date, bool]]:  # type: ignore[no-untyped-def]
        return {
            (by_id[row.agreement_id], row.stage, row.start_on, row.end_on, bool(row.planned))
            for row in frame.itertuples()
        }

    assert spans(now) == {
        ("a1", "proposed", D(2024, 7, 1), D(2024, 7, 20), False),
        ("a1", "negotiating", D(2024, 7, 20), D(2024, 9, 1), False),
        ("a1", "signed", D(2024, 9, 1), AS_OF, False),
        ("a1", "signed", AS_OF, D(2027, 9, 1), True),  # the rest of the contract, still to come
        ("a2", "proposed", D(2024, 8, 1), D(2025, 6, 30), False),
        ("a3", "proposed", D(2022, 1, 10), D(2022, 3, 1), False),
        ("a3", "signed", D(2022, 3, 1), D(2025, 3, 1), False),  # ends at the unrecorded expiry
    }
    assert spans(early) == {
        ("a1", "proposed", D(2024, 7, 1), D(2024, 7, 20), False),
        ("a1", "negotiating", D(2024, 7, 20), EARLY, False),
        ("a2", "proposed", D(2024, 8, 1), EARLY, False),
        ("a3", "proposed", D(2022, 1, 10), D(2022, 3, 1), False),
        ("a3", "signed", D(2022, 3, 1), EARLY, False),
        ("a3", "signed", EARLY, D(2025, 3, 1), True),
    }


def test_events_up_to_the_day_with_their_parties(coop) -> None:
    engine, ids = coop
    with Session(engine) as session:
        events = event_list(session, Filters(as_of=AS_OF))
    assert list(events["event_id"]) == [ids["e1"], ids["e2"], ids["e5"], ids["e3"]]  # E4 is after AS_OF
    assert list(events["participants"]) == [3, 2, 1, 2]
    assert list(events["is_demo"]) == [False, False, True, True]
    # the institute by its code first, provincial centers by their province
    assert list(events["parties_vi"]) == [
        "IMTS – Hà Giang – Tuyên Quang",
        "IMTS – Tuyên Quang",
        "Hà Giang",
        "IMTS – Tuyên Quang",
    ]
    assert events.loc[1, "parties_en"] == "IMTS – Tuyen Quang"


def test_milestones_are_the_real_events_one_row_per_day(coop) -> None:
    engine, _ = coop
    with Session(engine) as session:
        marks = timeline(session, Filters(as_of=AS_OF)).milestones
        before = timeline(session, Filters(as_of=D(2024, 6, 13))).milestones
    assert list(marks["held_on"]) == [D(2024, 6, 14), D(2024, 9, 1)]
    assert list(marks["kinds"]) == ["conference", "signing"]
    assert list(marks["signing_parties_vi"]) == ["", "IMTS – Tuyên Quang"]
    assert list(marks["place_vi"]) == ["Hạ Long, Quảng Ninh", "Tuyên Quang"]
    assert before.empty


def test_center_filter_reaches_events_and_agreements_of_merged_centers(coop) -> None:
    engine, ids = coop
    with Session(engine) as session:
        tq = timeline(session, Filters(as_of=AS_OF, center="C-TQ"))
        imts = stage_summary(session, Filters(as_of=AS_OF, center="IMTS"))
        imts_events = event_list(session, Filters(as_of=AS_OF, center="IMTS"))
        hg_before = stage_summary(
            session, Filters(as_of=BEFORE_MERGER, province="02", boundaries=Boundaries.BEFORE_MERGER)
        )
    # Hà Giang's center passed to Tuyên Quang's on 01/07/2025, its agreement and events with it
    assert set(tq.agreements["agreement_id"]) == {ids["a1"], ids["a2"], ids["a3"]}
    assert set(tq.events["event_id"]) == {ids["e1"], ids["e2"], ids["e3"], ids["e5"]}
    assert imts.total == 0  # the institute is a party to every agreement, never the center of one
    assert set(imts_events["event_id"]) == {ids["e1"], ids["e2"], ids["e3"]}
    assert (hg_before.total, hg_before.in_discussion) == (1, 1)  # Hà Giang on its own before the merger


def test_scope_matrix_lists_every_agreement_and_field_pair(coop) -> None:
    engine, ids = coop
    with Session(engine) as session:
        matrix = scope_matrix(session, Filters(as_of=AS_OF))
        pressure = scope_matrix(session, Filters(as_of=AS_OF, field="P"))
    by_id = {value: key for key, value in ids.items() if key.startswith("a")}
    cells = [(by_id[row.agreement_id], row.field_code, bool(row.in_scope)) for row in matrix.itertuples()]
    # signed first, then expired, then cancelled; fields in their order
    assert cells == [
        ("a1", "P", True),
        ("a1", "T", True),
        ("a3", "P", False),
        ("a3", "T", True),
        ("a2", "P", True),
        ("a2", "T", False),
    ]
    assert list(matrix["stage"]) == ["signed", "signed", "expired", "expired", "cancelled", "cancelled"]
    assert list(matrix["is_demo"]) == [True, True, False, False, True, True]
    assert set(pressure["agreement_id"]) == {ids["a1"], ids["a2"]}
    assert int(pressure["in_scope"].sum()) == 3


def test_details_name_the_fields_in_the_users_language(coop) -> None:
    engine, ids = coop
    with Session(engine) as session:
        details = agreement_details(session, Filters(as_of=AS_OF)).set_index("agreement_id")
    assert list(details.index) == [ids["a1"], ids["a3"], ids["a2"]]
    assert details.loc[ids["a1"], "scope_vi"] == "Áp suất, Nhiệt độ"
    assert details.loc[ids["a1"], "scope_en"] == "Pressure, Temperature"
    assert details.loc[ids["a2"], "scope_vi"] == "Áp suất"
    assert details.loc[ids["a3"], "scope_en"] == "Temperature"
    assert details.loc[ids["a2"], "province_vi"] == "Hà Giang"
    assert details.loc[ids["a3"], "source"] == "test source"
    assert details.loc[ids["a2"], "ended_on"] == D(2025, 6, 30)


def test_pipeline_counts_keep_their_meaning_with_the_lapsed_contract(coop) -> None:
    engine, _ = coop
    with Session(engine) as session:
        counts = pipeline_counts(session, Filters(as_of=AS_OF)).set_index("stage")["agreements"].to_dict()
    assert counts == {"proposed": 0, "negotiating": 0, "signed": 1, "active": 0, "expired": 1, "cancelled": 1}


def test_an_empty_database_gives_empty_frames_not_errors(engine: Engine) -> None:
    with Session(engine) as session:
        for filters in (Filters(), Filters(field="P"), Filters(province="31"), Filters(center="X")):
            assert stage_summary(session, filters).total == 0
            story = timeline(session, filters)
            assert story.agreements.empty and story.segments.empty and story.events.empty
            assert story.milestones.empty
            assert scope_matrix(session, filters).empty
            assert agreement_details(session, filters).empty


# --- the pure chart helpers ------------------------------------------------------------------


def test_milestone_words_name_the_day_the_place_and_the_parties(coop) -> None:
    from ui.charts_cooperation import milestone_lines, milestone_text

    engine, _ = coop
    with Session(engine) as session:
        marks = timeline(session, Filters(as_of=AS_OF)).milestones
    assert milestone_lines(marks.iloc[1], "vi") == [
        "01/09/2024 · Tuyên Quang: ký hợp đồng IMTS – Tuyên Quang"
    ]
    # the fixture writes the place the same in both languages
    assert milestone_lines(marks.iloc[1], "en") == [
        "01/09/2024 · Tuyên Quang: IMTS – Tuyen Quang contract signed"
    ]
    assert milestone_text(marks.iloc[0], "vi") == (
        "14/06/2024 · Hạ Long: hội nghị tăng cường hợp tác IMTS – các trung tâm kỹ thuật phía Bắc"
    )
    both = {
        "held_on": D(2024, 6, 14),
        "kinds": "conference,signing",
        "place_vi": "Hạ Long, Quảng Ninh",
        "place_en": "Ha Long, Quang Ninh",
        "signing_parties_vi": "IMTS – Hải Phòng",
        "signing_parties_en": "IMTS – Hai Phong",
        "titles_vi": "",
        "titles_en": "",
    }
    assert milestone_lines(both, "vi")[0] == "14/06/2024 · Hạ Long: ký hợp đồng IMTS – Hải Phòng"
    assert milestone_lines(both, "en")[0] == "14/06/2024 · Ha Long: IMTS – Hai Phong contract signed"


def test_timeline_chart_rules_the_real_days_and_stays_small(coop) -> None:
    from ui.charts_cooperation import agreement_timeline, scope_heatmap

    engine, _ = coop
    with Session(engine) as session:
        story = timeline(session, Filters(as_of=AS_OF))
        matrix = scope_matrix(session, Filters(as_of=AS_OF))
    spec = agreement_timeline(story, "vi").to_dict()
    datasets = spec["datasets"].values()
    assert all(len(rows) < 5000 for rows in datasets)
    labels = [row["label"] for rows in datasets for row in rows if "label" in row and "text" in row]
    assert labels == [
        "14/06/2024 · Hạ Long: hội nghị tăng cường hợp tác IMTS – các trung tâm kỹ thuật phía Bắc",
        "01/09/2024 · Tuyên Quang: ký hợp đồng IMTS – Tuyên Quang",
    ]
    rules = [
        layer
        for layer in spec["layer"]
        if layer["mark"].get("type") == "rule" and layer["mark"].get("color") == "#B71C1C"
    ]
    assert len(rules) == 1
    rows = {row["row"] for rows in datasets for row in rows if "row" in row}
    assert "★ C-TQ · Tuyên Quang" in rows and "C-HG · Hà Giang" in rows
    heat = scope_heatmap(matrix, "en").to_dict()
    cells = next(iter(heat["datasets"].values()))
    assert len(cells) == 6
    assert sum(cell["tick"] == "✓" for cell in cells) == 4


# --- a real contract that says only what its source says ------------------------------------

SOURCE = "http://skhcn.dienbien.gov.vn/portal/pages/2024-06-18/HOI-THAO-TANG-CUONG-HOP-TAC-HA-TANG-KY-THUAT-DO-LUjpzrmlenidzx.aspx"


@pytest.fixture
def real(engine: Engine) -> tuple[Engine, dict[str, int]]:
    """The tiny network plus a real contract like the Hạ Long one: one stage (signed 14/06/2024), no
    published scope or term; and a real conference whose source names only IMTS and C-TQ."""
    with Session(engine) as session:
        ids = tiny_network.build(session)
        contract = m.Agreement(
            institute_id=ids["imts"],
            center_id=ids["tq"],
            title_vi="HĐ hợp tác",
            title_en="Cooperation contract",
            stage="signed",
            proposed_on=D(2024, 6, 14),
            signed_on=D(2024, 6, 14),
            expires_on=None,
            scope_fields="",
            source=SOURCE,
            is_demo=False,
        )
        session.add(contract)
        session.flush()
        session.add(m.AgreementEvent(agreement_id=contract.id, stage="signed", changed_on=D(2024, 6, 14)))
        conference = m.Event(
            held_on=D(2024, 6, 14),
            place_vi="Hạ Long, Quảng Ninh",
            place_en="Ha Long, Quang Ninh",
            title_vi="Hội nghị",
            title_en="Conference",
            kind="conference",
            source=SOURCE,
            is_demo=False,
        )
        demo = m.Event(
            held_on=D(2025, 3, 3),
            place_vi="Hà Nội",
            place_en="Ha Noi",
            title_vi="Hội nghị minh họa",
            title_en="Demo conference",
            kind="conference",
            source="demo",
            is_demo=True,
        )
        session.add_all([conference, demo])
        session.flush()
        for center in ("imts", "tq"):
            session.add(m.EventParticipant(event_id=conference.id, center_id=ids[center]))
            session.add(m.EventParticipant(event_id=demo.id, center_id=ids[center]))
        session.commit()
        extra = {"real": int(contract.id), "conference": int(conference.id), "demo": int(demo.id)}  # type: ignore[arg-type]
    return engine, {**ids, **extra}


def test_what_the_source_did_not_publish_is_flagged_not_invented(real) -> None:
    from services.cooperation import agreements

    engine, ids = real
    with Session(engine) as session:
        frame = agreements(session, Filters(as_of=AS_OF)).set_index("agreement_id")
    flags = ["scope_published", "term_published", "later_stages_published"]
    assert [bool(v) for v in frame.loc[ids["real"], flags]] == [False, False, False]
    assert str(frame.loc[ids["real"], "stage"]) == "signed"  # its single stage is all there is
    demo = frame.drop(index=ids["real"])
    assert demo[flags].all().all()  # demo records are invented whole, and labelled so


def test_details_say_not_published_and_cite_the_source(real) -> None:
    engine, ids = real
    with Session(engine) as session:
        details = agreement_details(session, Filters(as_of=AS_OF)).set_index("agreement_id")
    row = details.loc[ids["real"]]
    assert (row["scope_vi"], row["scope_en"]) == ("Chưa công bố", "Not published")
    assert row["scope_codes"] == ""
    assert (row["signed_on"], row["expires_on"]) == (D(2024, 6, 14), None)
    assert row["source_label_vi"] == "Nguồn: Sở KH&CN Điện Biên, 18/06/2024"
    assert row["source_label_en"] == "Source: Điện Biên Department of Science and Technology, 18/06/2024"
    assert row["source_url"] == SOURCE
    assert details.loc[details["is_demo"], "scope_vi"].ne("Chưa công bố").all()


def test_an_unpublished_scope_counts_in_no_field(real) -> None:
    engine, ids = real
    with Session(engine) as session:
        matrix = scope_matrix(session, Filters(as_of=AS_OF))
        pressure = scope_matrix(session, Filters(as_of=AS_OF, field="P"))
    cells = matrix[matrix["agreement_id"] == ids["real"]]
    assert list(cells["field_code"]) == ["P", "T"] and not cells["in_scope"].any()
    assert not cells["scope_published"].any()
    assert ids["real"] not in set(pressure["agreement_id"])  # nobody may say it covers pressure
    assert matrix.loc[matrix["agreement_id"] != ids["real"], "scope_published"].all()


def test_the_single_stage_contract_is_counted_and_drawn_no_further_than_its_signing(real) -> None:
    engine, ids = real
    with Session(engine) as session:
        story = timeline(session, Filters(as_of=AS_OF))
        counts = pipeline_counts(session, Filters(as_of=AS_OF)).set_index("stage")["agreements"].to_dict()
    assert counts["signed"] == 2  # C-TQ's demo contract and the real one
    row = story.agreements.set_index("agreement_id").loc[ids["real"]]
    assert (row["stage"], row["stage_since"], row["end_on"]) == ("signed", D(2024, 6, 14), D(2024, 6, 14))
    assert ids["real"] not in set(story.segments["agreement_id"])  # no bar runs on to the day viewed


def test_a_real_conference_lists_whom_its_source_names_and_says_the_rest_is_unpublished(real) -> None:
    engine, ids = real
    with Session(engine) as session:
        events = event_list(session, Filters(as_of=AS_OF)).set_index("event_id")
    conference = events.loc[ids["conference"]]
    assert (
        conference["participants_vi"]
        == "IMTS, Trung tâm Tuyên Quang; danh sách các tỉnh tham dự chưa công bố"
    )
    assert conference["participants_en"] == (
        "IMTS, Tuyen Quang center; the list of provinces attending has not been published"
    )
    assert conference["source_label_vi"] == "Nguồn: Sở KH&CN Điện Biên, 18/06/2024"
    assert events.loc[ids["demo"], "participants_en"] == "IMTS, Tuyen Quang center"  # a demo list is whole
    assert not isinstance(events.loc[ids["demo"], "source_url"], str)  # "demo" is no address


def test_the_charts_show_unpublished_scope_and_stages_as_such(real) -> None:
    from services.cooperation import stage_text, term_text
    from ui.charts_cooperation import agreement_timeline, scope_heatmap

    engine, ids = real
    with Session(engine) as session:
        story = timeline(session, Filters(as_of=AS_OF))
        matrix = scope_matrix(session, Filters(as_of=AS_OF))
    assert stage_text("signed", False, "vi") == "Đã ký; giai đoạn sau: chưa công bố"
    assert stage_text("signed", True, "en") == "Signed"
    assert term_text(None, False, "en") == "Not published"
    assert term_text(None, True, "vi") == "—"
    assert term_text(D(2027, 9, 1), True, "vi") == "01/09/2027"
    cells = next(iter(scope_heatmap(matrix, "vi").to_dict()["datasets"].values()))
    real_cells = [cell for cell in cells if cell["agreement_id"] == ids["real"]]
    assert {(cell["tick"], cell["cell"]) for cell in real_cells} == {("?", "Chưa công bố phạm vi")}
    spec = agreement_timeline(story, "en").to_dict()
    words = {
        row["stage_label"]
        for rows in spec["datasets"].values()
        for row in rows
        if str(row.get("row", "")).startswith("★ C-TQ") and "proposed_on" in row
    }
    assert "Signed; later stages: not published" in words


def test_a_source_is_cited_by_publisher_and_day() -> None:
    from services.sources import citation, citation_link, published_on, source_url

    assert published_on(SOURCE) == D(2024, 6, 18)
    # Markdown: the stored words are escaped, so they can only ever read as words
    assert citation_link(SOURCE, "vi") == f"[Nguồn: Sở KH\\&CN Điện Biên, 18/06/2024]({SOURCE})"
    assert citation_link("http://example.org/a)![x](http://t)", "en") == (
        "[Source: example.org](http://example.org/a%29!%5Bx%5D%28http://t%29)"
    )
    assert citation("https://example.org/news/1", "en") == "Source: example.org"
    assert citation("demo (Hà Giang)", "vi") == "demo (Hà Giang)"  # not an address: as written
    assert source_url("IMTS, 14/06/2024") is None
