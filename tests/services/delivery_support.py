"""Real parts for delivery tests: an SMTP server (aiosmtpd) and an HTTP SMS gateway."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(
            {
                "to": list(envelope.rcpt_tos),
                "subject": str(msg["Subject"]),
                "text": msg.get_content(),
            }
        )
        return "250 OK"


@pytest.fixture(name="smtp_server")
def smtp_server_fixture():
    """A real SMTP server on localhost; `.messages` holds what arrived."""
    from aiosmtpd.controller import Controller

    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


class SmsGateway:
    """A local HTTP server standing in for the SMS provider."""

    def __init__(self):
        self.received: list[dict] = []
        self.fail_next = 0  # answer 500 to this many requests
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if gateway.fail_next > 0:
                    gateway.fail_next -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                gateway.received.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = None
        self._handler = Handler

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/send"

    def start(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture(name="sms_gateway")
def sms_gateway_fixture():
    gateway = SmsGateway()
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture(name="delivering")
def delivering_fixture(app, smtp_server, sms_gateway):
    """Configure the app to deliver through the local SMTP server and SMS gateway."""
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.port,
        MAIL_FROM="zhuxue@example.org",
        SMS_PROVIDER="http",
        SMS_HTTP_URL=sms_gateway.url,
        NOTIFY_DAILY_CAP=5,
    )
    return app
