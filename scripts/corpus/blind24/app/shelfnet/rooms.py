"""Room bookings: study rooms and maker spaces; the confirmation goes out through the consortium's mail relay."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from shelfnet import config


def booking_message(room: str, patron: str, slot: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "rooms@shelfnet.example"
    msg["To"] = f"{patron}@patrons.shelfnet.example"
    msg["Subject"] = f"Your booking of {room} ({slot})"
    msg.set_content(f"Room {room} is held for you at {slot}. Bring your library card.")
    return msg


def send_booking_confirmation(room: str, patron: str, slot: str) -> None:
    msg = booking_message(room, patron, slot)
    config.announce("recv")
    with smtplib.SMTP(config.PARTNER_HOST, config.partner_port()) as relay:  # no timeout: waits for the greeting
        relay.send_message(msg)


def book_room(room: str, patron: str) -> dict:
    slot = "2026-12-04T10:00/11:00"
    send_booking_confirmation(room, patron, slot)
    return {"room": room, "patron": patron, "slot": slot}
