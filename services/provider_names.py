"""Which network center a certificate's provider is, however it is written: code, Vietnamese or English name.

People write the provider the way the certificate heads it: "VMI", "Viện Đo lường Việt Nam",
"Vien do luong Viet Nam", "Vietnam Metrology Institute", or a center's name before the 2025
merger. All of these are the same issuer, so a certificate number is a duplicate whichever way
it was written. One matcher for every import path: keys drop case, diacritics (``đ`` too), spaces
and punctuation; a key two centers share matches neither (it stays a free-text provider).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlmodel import Session, col

from services.models import Center, CenterNameHistory

_AMBIGUOUS: Final = (-1, "")


def name_key(text: str) -> str:
    """``Viện Đo lường Việt Nam`` and ``VIEN DO LUONG VIET-NAM`` give the same key."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(char for char in decomposed.casefold() if char.isalnum())


@dataclass(frozen=True)
class Provider:
    """Who issued a certificate: a network center (``center_id``) or a body outside it (``name``)."""

    center_id: int | None
    name: str  # the center's code, or the free text tidied

    @property
    def identity(self) -> tuple[str, object]:
        """What two certificates share when the same body issued them."""
        return ("center", self.center_id) if self.center_id is not None else ("name", name_key(self.name))


class ProviderMatcher:
    """Every way the network's centers are written -> (id, code), loaded once per import."""

    def __init__(self, written: dict[str, tuple[int, str]]) -> None:
        self.written = written

    @classmethod
    def load(cls, session: Session) -> ProviderMatcher:
        codes: dict[int, str] = {}
        written: dict[str, tuple[int, str]] = {}

        def add(text: str | None, center_id: int) -> None:
            key = name_key(text or "")
            if not key:
                return
            known = written.get(key)
            written[key] = (
                (center_id, codes[center_id]) if known is None or known[0] == center_id else _AMBIGUOUS
            )

        centers = session.execute(
            select(col(Center.id), col(Center.code), col(Center.name_vi), col(Center.name_en))
        ).all()
        for center_id, code, *_ in centers:
            codes[center_id] = code
        for center_id, code, name_vi, name_en in centers:
            add(code, center_id)
            add(name_vi, center_id)
            add(name_en, center_id)
        for center_id, name_vi, name_en in session.execute(
            select(
                col(CenterNameHistory.center_id),
                col(CenterNameHistory.name_vi),
                col(CenterNameHistory.name_en),
            )
        ):
            add(name_vi, center_id)
            add(name_en, center_id)
        return cls({key: value for key, value in written.items() if value != _AMBIGUOUS})

    def match(self, text: str) -> Provider:
        found = self.written.get(name_key(text))
        if found is not None:
            return Provider(found[0], found[1])
        return Provider(None, " ".join(text.split()))

    def identity_of(self, center_id: int | None, name: str) -> tuple[str, object]:
        """The identity of a stored certificate's provider (older rows may hold a name, not a center)."""
        if center_id is not None:
            return ("center", center_id)
        return self.match(name).identity
