"""Pages escape data for Streamlit's Markdown with these (the rule lives in services.plain_text,
which services also use for the text of source links)."""

from services.plain_text import plain, plain_frame

__all__ = ["plain", "plain_frame"]
