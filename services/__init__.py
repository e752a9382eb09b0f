"""Domain logic and database access; importable without Streamlit."""
