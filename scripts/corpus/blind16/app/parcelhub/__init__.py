"""parcelhub: the backend of a regional parcel carrier (label printing, carrier rate quotes, manifests, depot
scans, courier dispatch, van load planning), served by celery, gunicorn and RQ workers."""
__version__ = "4.2.0"
