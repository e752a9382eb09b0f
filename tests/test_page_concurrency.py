"""Two browser sessions edit the same equipment on the data page: the later save is refused, the grid reloads."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from services.auth import demo_password
from tests.test_page_data_management import log_in, scalar, writable_database  # noqa: F401 - the fixture

FIRST_ROW = (
    "SELECT e.model FROM equipment e JOIN center c ON c.id = e.center_id WHERE c.code = 'TTKT-31' "
    "ORDER BY e.serial_no LIMIT 1"
)


def save_first_row_model(app: AppTest, model: str) -> AppTest:
    """Type ``model`` into the first row's model cell of the editor on screen and press Save."""
    key = f"equipment-editor-TTKT-31-{app.session_state['data_edit_version']}"
    app.session_state[key] = {"edited_rows": {0: {"model": model}}, "added_rows": [], "deleted_rows": []}
    app.run()
    app.button(key="save-edits").click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_the_second_save_of_the_same_cell_is_refused_and_the_grid_reloads(writable_database: str) -> None:  # noqa: F811
    staff = log_in("en", "ttkt31", demo_password("ttkt31"))
    admin = log_in("en", "admin", demo_password("admin"))
    admin.selectbox(key="data_center").select("TTKT-31").run()
    assert staff.session_state["data_edit_version"] == admin.session_state["data_edit_version"] == 0
    save_first_row_model(admin, "ADMIN-MODEL")
    assert any("Saved the changes to 1 piece of equipment" in s.value for s in admin.success)
    save_first_row_model(staff, "STAFF-MODEL")  # the staff grid still holds the row as it was
    refusal = " ".join(e.value for e in staff.error)
    assert "was changed by admin at" in refusal and "The table has been reloaded" in refusal
    assert scalar(writable_database, FIRST_ROW) == "ADMIN-MODEL"
    assert staff.session_state["data_edit_version"] == 1  # a fresh editor, read again
    save_first_row_model(staff, "STAFF-MODEL")  # now based on the admin's version: saved on top of it
    assert any("Saved the changes" in s.value for s in staff.success)
    assert scalar(writable_database, FIRST_ROW) == "STAFF-MODEL"
    assert (
        scalar(
            writable_database,
            "SELECT e.version FROM equipment e JOIN center c ON c.id = e.center_id "
            "WHERE c.code = 'TTKT-31' ORDER BY e.serial_no LIMIT 1",
        )
        == 3
    )
