"""Several app servers (gunicorn) on one PostgreSQL, with Flask-Limiter on Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.request import urlopen

import pytest

from tests.conftest import TEST_DB

ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


needs_pg_and_redis = pytest.mark.skipif(
    not TEST_DB.startswith("postgres") or not _redis_up(),
    reason="needs VOLUNTEER_TEST_DB on PostgreSQL and Redis on 127.0.0.1:6379",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """Two gunicorn instances sharing the test database and one Redis limiter storage."""

    def __init__(self, **env: str) -> None:
        self.prefix = f"t{uuid.uuid4().hex[:8]}"
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=TEST_DB,
            SECRET_KEY="test-secret",
            ID_ENCRYPTION_KEY="test-id-key",
            RATELIMIT_STORAGE_URI=REDIS,
            RATELIMIT_KEY_PREFIX=self.prefix,
            BASE_URL="http://localhost",
        )
        self.env.update(env)
        self.urls: list[str] = []
        self.procs: list[subprocess.Popen] = []

    def start(self, count: int = 2) -> None:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        for _ in range(count):
            port = _free_port()
            proc = subprocess.Popen(
                [gunicorn, "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}", "app:app"],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.procs.append(proc)
            self.urls.append(f"http://127.0.0.1:{port}")
        for url in self.urls:
            deadline = time.monotonic() + 90  # a loaded machine starts gunicorn slowly
            while True:
                try:
                    with urlopen(url + "/healthz", timeout=2):  # noqa: S310
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{url} did not start") from None
                    time.sleep(0.2)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def cluster(app):
    made: list[Cluster] = []

    def start(**env: str) -> Cluster:
        c = Cluster(**env)
        made.append(c)  # before start: servers that did start are stopped even if one did not
        c.start()
        return c

    yield start
    for c in made:
        c.stop()
