"""What pages share that touches Streamlit: language, filters, cached data, charts, widgets."""
