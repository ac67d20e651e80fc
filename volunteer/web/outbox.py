"""After a request that queued email or SMS, hand the outbox to a background job (R36).

Only with a real queue (JOB_QUEUE_URL): inline, the job would make the request wait for
the SMTP server or the SMS gateway, which R34 forbids; without a queue the cron command
`deliver-notifications` works the outbox every minute. Lives in the web layer, above both
notifications and jobs, which are siblings.
"""

from __future__ import annotations

import logging

from flask import Flask, Response

from ..jobs import enqueue, has_queue
from ..notifications.delivery import deliver_job
from ..notifications.services import outbox_written

log = logging.getLogger(__name__)


def _deliver_in_background(response: Response) -> Response:
    if response.status_code >= 400 or not outbox_written() or not has_queue():
        return response
    try:
        enqueue("deliver_notifications", deliver_job)
    except Exception as exc:  # the cron command still works the outbox: never a 500 here
        log.warning("delivery job not queued: %s", type(exc).__name__)
    return response


def init_app(app: Flask) -> None:
    """Queue a delivery job after every request that wrote to the outbox."""
    app.after_request(_deliver_in_background)
