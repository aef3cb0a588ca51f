"""``celery -A proj worker -I forensics.integrations.celery_auto``: install the integration on import."""
from forensics.integrations.celery import install

install()
