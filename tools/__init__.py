"""Developer tools (not used by the app)."""
