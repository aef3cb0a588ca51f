"""Patrol radio gateway: a listener thread takes text messages off the repeater's line protocol; a reconnect
stops the listener (and waits for it) before dialling the backup repeater."""
import socket
import threading

from .signals import Muster, announce, beacon


class PatrolRadio:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.stream = self.sock.makefile("rb")
        self.closing = threading.Event()

    def next_message(self):
        raw = self.stream.readline()
        channel, _, text = raw.decode("latin-1").strip().partition("|")
        return channel, text


def _listen(radio, muster, inbox):
    muster.check_in("recv")
    while not radio.closing.is_set():
        inbox.append(radio.next_message())


def reconnect_radio(radio, listener):
    radio.closing.set()
    listener.join()


def radio_reconnect(settings):
    radio = PatrolRadio(settings["port"])
    muster = Muster(1)
    listener = threading.Thread(target=_listen, args=(radio, muster, []), name=f"radio-rx-{settings.get('unit', 1)}",
                                daemon=True)
    listener.start()
    announce(*muster.roll_call(), beacon("futex"))
    reconnect_radio(radio, listener)
