"""The choices the filters offer: regions, centers, fields, instrument types."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from services.filters import Filters
from services.models import InstrumentType, MeasurementField, Quantity
from services.network import centers_frame, regions


@dataclass(frozen=True)
class FilterOptions:
    regions: pd.DataFrame  # code, name_vi, name_en
    centers: pd.DataFrame  # code, name_vi, name_en, region_code (active on the date)
    fields: pd.DataFrame  # code, name_vi, name_en
    instrument_types: pd.DataFrame  # code, name_vi, name_en, field_code, legally_controlled


def filter_options(session: Session, filters: Filters) -> FilterOptions:
    centers = centers_frame(session, filters)
    centers = centers[centers["active"]]
    fields = pd.DataFrame(
        [
            f.model_dump()
            for f in session.exec(select(MeasurementField).order_by(col(MeasurementField.sort_order)))
        ],
        columns=["code", "name_vi", "name_en", "sort_order"],
    )
    types = pd.DataFrame(
        session.execute(
            select_columns(
                col(InstrumentType.code),
                col(InstrumentType.name_vi),
                col(InstrumentType.name_en),
                col(Quantity.field_code),
                col(InstrumentType.legally_controlled),
            ).join(Quantity, col(Quantity.code) == col(InstrumentType.quantity_code))
        ).all(),
        columns=["code", "name_vi", "name_en", "field_code", "legally_controlled"],
    ).sort_values("name_vi")
    region_frame = regions(session, filters)
    return FilterOptions(
        regions=region_frame[["code", "name_vi", "name_en"]],
        centers=centers[["code", "name_vi", "name_en", "region_code"]].sort_values("code"),
        fields=fields,
        instrument_types=types,
    )


def instrument_type_names(session: Session) -> pd.DataFrame:
    """instrument_type_code, type_name_vi, type_name_en: what lists and notices call each type."""
    return pd.DataFrame(
        session.exec(select(InstrumentType.code, InstrumentType.name_vi, InstrumentType.name_en)).all(),
        columns=["instrument_type_code", "type_name_vi", "type_name_en"],
    )
