"""presswire: the publishing backend of a newsroom (wire ingest, image renditions, embargoes, CMS sync, push
alerts, paywall entitlements, CDN purges, transcription, the print desk and the archive)."""
__version__ = "7.1.0"
