"""framepress: the job runners of a video transcoding farm (ingest, encode, package, publish to the origin)."""
__version__ = "7.3.0"
