"""The Hạ Long conference and the IMTS – Hải Phòng contract as published, and invented cooperation
around them (every other agreement and event is demo data).

The source (Điện Biên's Department of Science and Technology, 18/06/2024) says: on 14/06/2024 in
Hạ Long, IMTS held a conference with the northern provinces' departments, sub-departments and
technical centers; it ended with a cooperation contract signed by IMTS and Hải Phòng's center. It
does not publish the contract's scope, term or later stages, nor the list of provinces present.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from services import models as m
from services.demo.equipment import HORIZON
from services.demo.spec import NORTHERN, CenterSpec, centers, opt_date, read_spec
from services.demo.streams import day_between, stream

HA_LONG_DAY = date(2024, 6, 14)
HAI_PHONG_CENTER = "TTKT-31"
SOURCE_URL = (
    "http://skhcn.dienbien.gov.vn/portal/pages/2024-06-18/"
    "HOI-THAO-TANG-CUONG-HOP-TAC-HA-TANG-KY-THUAT-DO-LUjpzrmlenidzx.aspx"
)
DEMO_EVENTS = 16


@dataclass
class AgreementPlan:
    center: CenterSpec
    stages: list[tuple[str, date]]  # to the horizon; the caller cuts at the seed day
    expires_on: date | None
    scope: list[str]
    is_demo: bool = True
    source: str = ""

    def stages_until(self, day: date) -> list[tuple[str, date]]:
        return [(stage, on) for stage, on in self.stages if on <= day]


@dataclass
class EventPlan:
    held_on: date
    values: dict[str, object]
    participants: list[str] = field(default_factory=list)  # center codes


def real_events() -> list[EventPlan]:
    common = {
        "place_vi": "Hạ Long, Quảng Ninh",
        "place_en": "Ha Long, Quang Ninh",
        "source": SOURCE_URL,
        "is_demo": False,
    }
    conference = EventPlan(
        HA_LONG_DAY,
        {
            **common,
            "kind": "conference",
            "title_vi": "Hội nghị tăng cường hợp tác hạ tầng kỹ thuật đo lường giữa IMTS và các Trung tâm "
            "Kỹ thuật Tiêu chuẩn Đo lường Chất lượng các tỉnh phía Bắc",
            "title_en": "Conference on strengthening cooperation in measurement technical infrastructure "
            "between IMTS and the northern provinces' Technical Centers for Standards, Metrology and Quality",
            "summary_vi": "Lãnh đạo các Sở Khoa học và Công nghệ, Chi cục Tiêu chuẩn Đo lường Chất lượng và các "
            "Trung tâm Kỹ thuật các tỉnh phía Bắc đánh giá thực trạng, khó khăn của hạ tầng đo lường quốc gia; "
            "thống nhất tăng cường hợp tác; IMTS và Trung tâm Hải Phòng ký hợp đồng hợp tác. "
            "Danh sách các tỉnh tham dự chưa được công bố.",
            "summary_en": "Leaders of the northern provinces' Departments of Science and Technology, "
            "Sub-departments of Standards, Metrology and Quality and technical centers reviewed the state and "
            "difficulties of the national measurement infrastructure and agreed to cooperate; IMTS and "
            "Hai Phong's center signed a cooperation contract. The list of provinces present was not published.",
        },
        ["IMTS", HAI_PHONG_CENTER],
    )
    signing = EventPlan(
        HA_LONG_DAY,
        {
            **common,
            "kind": "signing",
            "title_vi": "Ký hợp đồng hợp tác giữa IMTS và Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng Hải Phòng",
            "title_en": "IMTS and Hai Phong's Technical Center sign a cooperation contract",
            "summary_vi": "Ký kết tại hội nghị Hạ Long. Phạm vi, thời hạn và các bước tiếp theo chưa được công bố.",
            "summary_en": "Signed at the Ha Long conference. Scope, term and later steps were not published.",
        },
        ["IMTS", HAI_PHONG_CENTER],
    )
    return [conference, signing]


def agreements(network: str = NORTHERN) -> list[AgreementPlan]:
    fields = [row["code"] for row in read_spec("fields")]
    plans = []
    for center in centers(network):
        if center.kind != m.CenterKind.PROVINCIAL_CENTER:
            continue
        if center.code == HAI_PHONG_CENTER:
            # only what the source says: signed on 14/06/2024; scope and later stages not published
            plans.append(
                AgreementPlan(center, [("signed", HA_LONG_DAY)], None, [], is_demo=False, source=SOURCE_URL)
            )
            continue
        rng = stream("agreement", center.code)
        stages, expires = _demo_path(rng, center)
        plans.append(AgreementPlan(center, stages, expires, sorted(rng.sample(fields, k=rng.randint(2, 5)))))
    return plans


def _demo_path(rng: random.Random, center: CenterSpec) -> tuple[list[tuple[str, date]], date | None]:
    proposed = HA_LONG_DAY + timedelta(days=rng.randint(20, 200))
    path = [("proposed", proposed)]
    roll = rng.random()
    if center.active_to is not None:  # merged away before anything was signed
        return [*path, ("cancelled", center.active_to)], None
    if roll < 0.15:
        return path, None
    negotiating = proposed + timedelta(days=rng.randint(30, 240))
    path.append(("negotiating", negotiating))
    if roll < 0.3:
        return path, None
    signed = negotiating + timedelta(days=rng.randint(30, 400))
    path.append(("signed", signed))
    expires = signed + relativedelta(years=rng.choice([2, 3, 5]))
    if roll < 0.9:
        path.append(("active", signed + timedelta(days=rng.randint(5, 30))))
    if expires <= HORIZON:
        path.append(("expired", expires))
    return path, expires


_EVENT_KINDS = (
    ("training", "Tập huấn {service_vi} {type_vi}", "Training on {service_en} {type_en}"),
    ("audit", "Đánh giá năng lực phòng thí nghiệm", "Laboratory competence audit"),
    ("conference", "Hội thảo chuyên đề đo lường", "Metrology workshop"),
)


def demo_events(network: str = NORTHERN) -> list[EventPlan]:
    """Trainings, audits and workshops, each hosted by a center open on its day, with IMTS."""
    types = read_spec("instrument_types")
    provinces = {row["key"]: row for row in read_spec("provinces", network)}
    provincial = [c for c in centers(network) if c.kind == m.CenterKind.PROVINCIAL_CENTER]
    plans = []
    for number in range(DEMO_EVENTS):
        rng = stream("event", number)
        held = day_between(rng, date(2023, 1, 1), HORIZON)
        host = rng.choice([c for c in provincial if c.open_on(held)])
        kind, title_vi, title_en = rng.choice(_EVENT_KINDS)
        instrument = rng.choice(types)
        legal = instrument["legally_controlled"].lower() == "true"
        province = provinces[host.province_key]
        valid_to = opt_date(province["valid_to"])
        if valid_to is not None and held > valid_to:  # after the merger: the new province's name
            province = provinces[province["successor_key"]]
        plans.append(
            EventPlan(
                held,
                {
                    "place_vi": province["name_vi"],
                    "place_en": province["name_en"],
                    "kind": kind,
                    "title_vi": title_vi.format(
                        service_vi="kiểm định" if legal else "hiệu chuẩn",
                        type_vi=instrument["name_vi"].lower(),
                    ),
                    "title_en": title_en.format(
                        service_en="verifying" if legal else "calibrating",
                        type_en=instrument["name_en"].lower(),
                    ),
                    "summary_vi": "Dữ liệu minh họa.",
                    "summary_en": "Demo data.",
                    "source": "demo",
                    "is_demo": True,
                },
                [host.code, "IMTS"],
            )
        )
    return plans
