"""The choices the filters offer: regions, centers, fields, instrument types."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session, select

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
        session.exec(select(InstrumentType.code, InstrumentType.name_vi, InstrumentType.name_en)).all(),  # type: ignore[call-overload]
        columns=["instrument_type_code", "type_name_vi", "type_name_en"],
    )


INSTRUMENT_TYPE_COLUMNS = ["code", "name_vi", "name_en", "field_code", "legally_controlled"]
FIELD_COLUMNS = ["code", "name_vi", "name_en", "sort_order"]


def instrument_types(session: Session, filters: Filters | None = None) -> pd.DataFrame:
    """Every instrument type (``INSTRUMENT_TYPE_COLUMNS``) with its measurement field, narrowed to
    the field and type ``filters`` name, if any."""
    query = select(
        InstrumentType.code,
        InstrumentType.name_vi,
        InstrumentType.name_en,
        Quantity.field_code,
        InstrumentType.legally_controlled,
    ).join(Quantity, Quantity.code == InstrumentType.quantity_code)
    if filters is not None and filters.field:
        query = query.where(Quantity.field_code == filters.field)
    if filters is not None and filters.instrument_type:
        query = query.where(InstrumentType.code == filters.instrument_type)
    return pd.DataFrame(session.exec(query).all(), columns=INSTRUMENT_TYPE_COLUMNS)  # type: ignore[call-overload]


def measurement_fields(session: Session) -> pd.DataFrame:
    """The measurement fields (``FIELD_COLUMNS``) in their display order."""
    query = select(
        MeasurementField.code, MeasurementField.name_vi, MeasurementField.name_en, MeasurementField.sort_order
    ).order_by(MeasurementField.sort_order)
    return pd.DataFrame(session.exec(query).all(), columns=FIELD_COLUMNS)  # type: ignore[call-overload]
