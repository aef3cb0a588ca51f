# Run by hand (python3 selector_loop.py idle|select-forever|recv) to take the captures beside it; line numbers match.
"""A server's loop on a selector, and a plain blocking read: the live captures beside this file were taken of it.

``idle``: ``sel.select(timeout=1.0)`` in a loop over a listening socket and a connected peer that sends nothing:
an event loop waiting for work, healthy. ``select-forever``: the same loop with no timeout on a peer that never
sends: only an event ends the wait (the kernel's timeout argument says so). ``recv``: ``sock.recv()`` with no
timeout on a peer that never sends: the hang. Prints READY once the thread waits; runs until killed.
"""
import selectors
import socket
import sys
import threading


def serve(sel, timeout):
    while True:
        events = sel.select(timeout=timeout)
        for key, _ in events:
            key.data(key.fileobj)


def read_reply(sock):
    return sock.recv(4096)  # the peer never sends


def main():
    mode = sys.argv[1]
    listener = socket.create_server(("127.0.0.1", 0))
    peer = socket.create_connection(listener.getsockname())
    conn, _ = listener.accept()
    if mode == "recv":
        worker = threading.Thread(target=read_reply, args=(conn,), name="reader")
    else:
        sel = selectors.DefaultSelector()
        sel.register(listener, selectors.EVENT_READ, lambda s: s.accept())
        sel.register(conn, selectors.EVENT_READ, lambda s: s.recv(4096))
        worker = threading.Thread(target=serve, args=(sel, 1.0 if mode == "idle" else None), name="loop")
    worker.start()
    print("READY", flush=True)
    worker.join()
    peer.close()


if __name__ == "__main__":
    main()
