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
    fields = measurement_fields(session)
    types = instrument_types(session).sort_values("name_vi")
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


INSTRUMENT_TYPE_COLUMNS = ["code", "name_vi", "name_en", "field_code", "legally_controlled"]
FIELD_COLUMNS = ["code", "name_vi", "name_en", "sort_order"]


def instrument_types(session: Session, filters: Filters | None = None) -> pd.DataFrame:
    """Every instrument type (``INSTRUMENT_TYPE_COLUMNS``) with its measurement field, narrowed to
    the field and type ``filters`` name, if any."""
    query = select_columns(
        col(InstrumentType.code),
        col(InstrumentType.name_vi),
        col(InstrumentType.name_en),
        col(Quantity.field_code),
        col(InstrumentType.legally_controlled),
    ).join(Quantity, col(Quantity.code) == col(InstrumentType.quantity_code))
    if filters is not None and filters.field:
        query = query.where(col(Quantity.field_code) == filters.field)
    if filters is not None and filters.instrument_type:
        query = query.where(col(InstrumentType.code) == filters.instrument_type)
    return pd.DataFrame(session.execute(query).all(), columns=INSTRUMENT_TYPE_COLUMNS)


def measurement_fields(session: Session) -> pd.DataFrame:
    """The measurement fields (``FIELD_COLUMNS``) in their display order."""
    query = select_columns(
        col(MeasurementField.code),
        col(MeasurementField.name_vi),
        col(MeasurementField.name_en),
        col(MeasurementField.sort_order),
    ).order_by(col(MeasurementField.sort_order))
    return pd.DataFrame(session.execute(query).all(), columns=FIELD_COLUMNS)
