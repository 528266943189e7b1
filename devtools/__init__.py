"""Developer tools for local testing (not part of the published library)."""
