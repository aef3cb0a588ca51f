"""EDI codec plugins, imported by name."""
