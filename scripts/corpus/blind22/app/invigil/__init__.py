"""invigil: the backend of an online exam & proctoring platform (exam scheduling, proctor video chunks, answer
autosave, plagiarism checks, grading queues, certificate PDFs, LMS grade sync, identity checks, accommodation
timers). Its workers run on celery (invigil.worker), gunicorn (invigil.web) and RQ (invigil.jobs)."""

__version__ = "2.7.0"
