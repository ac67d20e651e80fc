"""CLI: `flask worker` works the job queue (R36)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Work the background job queue (JOB_QUEUE_URL) until stopped."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    url = current_app.config.get("JOB_QUEUE_URL")
    if not url:
        raise click.ClickException("JOB_QUEUE_URL is not set: jobs run inline, no worker needed.")
    conn = Redis.from_url(url)
    queue = Queue(current_app.config["JOB_QUEUE_NAME"], connection=conn)
    # One process runs the jobs it takes, inside this app context: no fork per job, so the
    # database pool is never shared between processes. Run several workers for parallelism.
    SimpleWorker([queue], connection=conn).work(burst=burst, with_scheduler=False)


commands = (worker,)
