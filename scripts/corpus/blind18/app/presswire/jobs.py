"""The RQ jobs of the print desk, the archive, headline testing and the breaking-news mails."""
from __future__ import annotations

from presswire import alerts, archive, headlines, printdesk


def ship_print_edition(edition: str, pages: int) -> str:
    return printdesk.upload_print_edition(edition, pages)


def archive_story(story_id: str, words: int) -> None:
    archive.append_archive_index(story_id, words)


def pick_headline(variants: list) -> list:
    return headlines.rank_headline_variants(variants)


def mail_breaking_alert(headline: str) -> None:
    alerts.notify_desk_editors(headline)
