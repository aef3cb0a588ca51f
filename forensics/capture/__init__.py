"""Capture backends: each turns a live process (or a core) into a Capture."""
