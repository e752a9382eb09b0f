"""The one translatable message type: every error and problem reads its key out the same way."""

from __future__ import annotations

import pytest

from services.editing import EditProblem
from services.i18n import translate
from services.messages import Message, MessageError, TranslatableMessage
from services.units import UnitInputError, parse_quantity


def test_a_unit_error_is_a_message_error_that_says_what_was_typed_in_each_language() -> None:
    with pytest.raises(UnitInputError) as caught:
        parse_quantity("abc", "bar")
    err = caught.value
    assert isinstance(err, MessageError)
    assert isinstance(err, ValueError)
    assert err.key == "units.error.no_number"
    assert (
        err.message("en")
        == 'No number found in "abc". Enter a number with its unit, e.g. 600 bar, 0.5 %, 2 m³/h.'
    )
    assert err.message("vi") == translate("units.error.no_number", "vi", text="abc")
    assert err.message("vi") != err.message("en")
    assert str(err) == err.message("en")


def test_an_edit_problem_reads_its_key_through_the_shared_body_and_keeps_its_place() -> None:
    problem = EditProblem("SN-7", "—", "concurrency.edit.no_version", {"serial": "SN-7"})
    assert isinstance(problem, TranslatableMessage)
    assert problem.message("vi").startswith("Thiết bị SN-7: lần lưu này")
    assert problem.located("en").startswith('Equipment SN-7, column "—": Equipment SN-7: this save')


def test_an_error_re_raised_as_another_type_keeps_key_and_params() -> None:
    original = UnitInputError("units.error.no_number", text="x")
    again = MessageError.from_error(original)
    assert type(again) is MessageError
    assert (again.key, again.params) == ("units.error.no_number", {"text": "x"})
    assert Message("units.error.no_number", {"text": "x"}).message("en") == original.message("en")


def test_a_missing_key_shows_as_itself() -> None:
    assert Message("no.such.key").message("en") == "no.such.key"
