"""Turn other tools' output into capture threads."""
