"""Where captures live: a local directory by default."""
