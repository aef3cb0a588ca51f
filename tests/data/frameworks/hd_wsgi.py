"""A WSGI application for gunicorn whose /export handler reads from a backend that never answers, no timeout."""
import os
import socket


def export_report(backend_port):
    conn = socket.create_connection(("127.0.0.1", backend_port))
    conn.sendall(b"EXPORT\n")
    return conn.recv(4096)  # no timeout: the backend accepted and says nothing


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/export":
        body = export_report(int(os.environ["HD_BACKEND_PORT"]))
    else:
        body = b"ok"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
