"""Delivery channels behind one interface: SMTP email, and SMS through a provider adapter.

Each `send` raises `DeliveryFailed` when the message did not go out, so that the outbox
keeps it for a retry; nothing here touches the database.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any, Protocol

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The provider did not take the message; try again later."""


class Channel(Protocol):
    def send(self, address: str, subject: str, text: str) -> None: ...


class SmtpEmail:
    """Email over SMTP (smtplib), STARTTLS and login when configured."""

    def __init__(self, config: Any) -> None:
        self.server = config.get("MAIL_SERVER")
        self.port = int(config.get("MAIL_PORT") or 25)
        self.username = config.get("MAIL_USERNAME") or None
        self.password = config.get("MAIL_PASSWORD") or None
        self.use_tls = bool(config.get("MAIL_USE_TLS"))
        self.sender = config.get("MAIL_FROM") or "noreply@localhost"

    def send(self, address: str, subject: str, text: str) -> None:
        """Send one plain-text email."""
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = address
        msg["Subject"] = subject
        msg.set_content(text)
        try:
            with smtplib.SMTP(self.server, self.port, timeout=TIMEOUT_SECONDS) as smtp:
                if self.use_tls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"smtp: {type(exc).__name__}: {exc}"[:300]) from exc


class LoggingSms:
    """Development provider: writes the SMS to the log instead of sending it."""

    def send(self, address: str, subject: str, text: str) -> None:
        """Log the message (the phone masked)."""
        log.info("SMS to %s****%s: %s", address[:3], address[-4:], text)


def _json_fragment(value: str) -> str:
    # The template is JSON text; values go in as the inside of a JSON string.
    return json.dumps(value, ensure_ascii=False)[1:-1]


class HttpSms:
    """An HTTP SMS gateway: POST the body template to a URL; 2xx means accepted."""

    def __init__(self, config: Any) -> None:
        self.url = config.get("SMS_HTTP_URL") or ""
        self.template = config.get("SMS_HTTP_TEMPLATE") or '{"phone": "{phone}", "text": "{text}"}'
        self.token = config.get("SMS_HTTP_TOKEN") or None
        self.signature = config.get("SMS_SIGNATURE") or "金秋助学"

    def body(self, address: str, text: str) -> bytes:
        """Fill the template with the phone and the signed text."""
        signed = f"【{self.signature}】{text}"
        filled = self.template.replace("{phone}", _json_fragment(address)).replace(
            "{text}", _json_fragment(signed)
        )
        return filled.encode("utf-8")

    def send(self, address: str, subject: str, text: str) -> None:
        """POST one message to the gateway."""
        if not self.url.startswith(("http://", "https://")):
            raise DeliveryFailed("SMS_HTTP_URL is not set")
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            self.url, data=self.body(address, text), method="POST"
        )
        request.add_header("Content-Type", "application/json; charset=utf-8")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as resp:  # noqa: S310
                if not 200 <= resp.status < 300:
                    raise DeliveryFailed(f"sms http {resp.status}")
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"sms http {exc.code}") from exc
        except (OSError, ValueError) as exc:
            raise DeliveryFailed(f"sms: {type(exc).__name__}: {exc}"[:300]) from exc


def sms_channel(config: Any) -> Channel | None:
    """Return the configured SMS provider (SMS_PROVIDER: log, http), or None."""
    provider = (config.get("SMS_PROVIDER") or "").lower()
    if provider == "log":
        return LoggingSms()
    if provider == "http":
        return HttpSms(config)
    return None


def channels_for(config: Any) -> dict[str, Channel]:
    """Return the configured channels by name."""
    out: dict[str, Channel] = {}
    if config.get("MAIL_SERVER"):
        out["email"] = SmtpEmail(config)
    sms = sms_channel(config)
    if sms is not None:
        out["sms"] = sms
    return out
