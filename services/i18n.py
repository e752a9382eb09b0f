"""Translation catalogs and locale-aware formatting, usable without Streamlit.

Catalogs live in ``locales/<lang>/*.json``; every file of a language is merged into one
flat mapping, so each feature keeps its own file and keys stay unique across files.

A text that counts something has one entry per CLDR plural category of the language instead of
one entry: ``"x.one"`` and ``"x.other"`` in English ("1 center", "2 centers"), only ``"x.other"``
in Vietnamese, which does not inflect. ``translate("x", ...)`` picks the form babel's plural rules
give for the count (see ``translate``); ``translate_plural`` takes the number itself.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import NumberFormatError, format_decimal, format_percent, parse_decimal

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
_BABEL_LOCALE = {"vi": "vi_VN", "en": "en_GB"}
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")  # CLDR categories; "other" always exists


class DuplicateKeyError(ValueError):
    """Two catalog files of one language define the same key."""


@cache
def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        clashes = merged.keys() & entries.keys()
        if clashes:
            raise DuplicateKeyError(f"{path.name} repeats keys {sorted(clashes)}")
        merged.update(entries)
    return merged


def _language(lang: str) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@cache
def _babel_locale(lang: str) -> Locale:
    return Locale.parse(_BABEL_LOCALE[lang])


def plural_form(count: int | float | Decimal, lang: str) -> str:
    """The CLDR plural category of ``count`` in ``lang``: "one" or "other" in English, always
    "other" in Vietnamese. Decimals count as written: ``Decimal("1.0")`` is "other" ("1.0 points")."""
    return str(_babel_locale(_language(lang)).plural_form(count))


def _as_number(value: object, lang: str) -> int | float | Decimal | None:
    """A count given as a number, or as the text format_number wrote for ``lang`` ("1.234" in vi)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, str):
        try:
            return parse_decimal(value.strip(), locale=_BABEL_LOCALE[lang])
        except (NumberFormatError, ValueError):
            return None
    return None


def _deciding_count(params: dict[str, object], lang: str) -> object:
    if "count" in params:
        return params["count"]
    numbers = [value for value in params.values() if _as_number(value, lang) is not None]
    return numbers[0] if len(numbers) == 1 else None


def _plural_text(entries: dict[str, str], key: str, lang: str, count: object) -> str | None:
    """The entry of plural ``key`` for ``count``; "other" when the count is not a number."""
    if f"{key}.other" not in entries:
        return None
    number = _as_number(count, lang)
    form = plural_form(number, lang) if number is not None else "other"
    return entries.get(f"{key}.{form}", entries[f"{key}.other"])


def translate(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """The text for ``key`` in ``lang``; a missing key shows as itself so tests can catch it.

    For a plural key (the catalog holds ``key.one``/``key.other``, not ``key``) the form follows
    the ``count`` parameter, or else the only parameter that reads as a number (``rows`` in
    "Import {rows} rows into {center}"); numbers may come formatted (``count=format_number(n, lang)``).
    With no such parameter the form is "other".
    """
    lang = _language(lang)
    entries = catalog(lang)
    text = entries.get(key)
    if text is None:
        text = _plural_text(entries, key, lang, _deciding_count(params, lang))
    if text is None:
        return key
    return text.format(**params) if params else text


def translate_plural(
    key: str, count: int | float, lang: str = DEFAULT_LANGUAGE, /, decimals: int = 0, **params: object
) -> str:
    """``key`` in the plural form for ``count``, with ``{count}`` formatted for ``lang``.

    ``translate_plural("count.centers", 1, "en")`` is "1 center", with 3 "3 centers".
    """
    lang = _language(lang)
    shown = format_number(count, lang, decimals)
    params.setdefault("count", shown)
    number = _as_number(shown, lang)  # "1.0" is plural in English though 1.0 == 1
    text = _plural_text(catalog(lang), key, lang, number if number is not None else count)
    if text is None:
        return translate(key, lang, **params)
    return text.format(**params)


def format_number(value: float | int, lang: str, decimals: int = 0) -> str:
    """1.234,5 in Vietnamese, 1,234.5 in English."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_BABEL_LOCALE[lang])


def format_percentage(fraction: float, lang: str, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + " %"
    return format_percent(fraction, format=pattern, locale=_BABEL_LOCALE[lang])


def format_day(value: date | datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """Dates are dd/mm/yyyy in both languages, as users here read them."""
    if value is None:
        return "—"
    return format_date(value, format="dd/MM/yyyy", locale=_BABEL_LOCALE[lang])


def format_timestamp(value: datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    return format_datetime(value, format="dd/MM/yyyy HH:mm", locale=_BABEL_LOCALE[lang])
