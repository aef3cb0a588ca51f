"""castline: playout and media backend of a public broadcaster (schedules, ingest, transcode hand-offs,
subtitles, rights windows, ad-break traffic, EPG partner feeds, studio tally/GPI)."""
__version__ = "4.8.0"
