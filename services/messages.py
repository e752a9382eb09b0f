"""The one translatable message: a catalog key and its placeholders, read out in a language.

Errors and problems are made where no language is known (a parser, a validator, a write) and
read where it is (a page, an export), so they carry ``key`` and ``params`` rather than a text.
``TranslatableMessage`` holds the one body every such type shares; ``MessageError`` is the
exception form (``str(err)`` is the English text, for logs and tracebacks), ``Message`` the plain
value. A problem that also says where it happened (a row, a column, a serial number) is a
dataclass deriving from ``TranslatableMessage`` with those fields of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from services.i18n import translate


class TranslatableMessage:
    """Anything with a catalog ``key`` and string ``params`` for its placeholders."""

    __slots__ = ()
    key: str
    params: Mapping[str, str]

    def message(self, lang: str) -> str:
        return translate(self.key, lang, **self.params)


@dataclass(frozen=True)
class Message(TranslatableMessage):
    key: str
    params: Mapping[str, str] = field(default_factory=dict)


class MessageError(TranslatableMessage, ValueError):
    """Input that cannot be used, said by catalog key; ``str(err)`` is the English message.

    Words that differ by language travel as ``<name>_vi`` / ``<name>_en`` pairs of params.
    """

    def __init__(self, key: str, **params: str) -> None:
        self.key = key
        self.params: dict[str, str] = dict(params)
        super().__init__(self.message("en"))

    @classmethod
    def from_error(cls, err: TranslatableMessage) -> MessageError:
        """The same message as another error or problem, as this type (a parser's error re-raised
        by the code that called it)."""
        return cls(err.key, **err.params)
