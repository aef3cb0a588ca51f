"""The HTML report, the read-only browser server, and stack exports (folded, speedscope)."""
