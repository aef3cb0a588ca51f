"""In-worker integrations of worker frameworks with forensics.heartbeat (imported by the worker, stdlib + the
framework only)."""
