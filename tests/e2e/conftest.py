"""Browser tests: a real server process on 127.0.0.1 with its own database, and Debian's
Chromium driven by Playwright. Any console error or request to another host fails a test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "e2e" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
DEMO_PASSWORD = "Demo-2026!"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The app under `flask run`, with a clock the tests can move (VOLUNTEER_CLOCK_FILE)."""

    def __init__(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="volunteer-e2e-")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.clock_file = os.path.join(self.tmp, "clock.txt")
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=f"sqlite:///{self.tmp}/e2e.sqlite",
            SECRET_KEY="e2e-secret",
            ID_ENCRYPTION_KEY="e2e-id-key",
            BASE_URL=self.url,
            VOLUNTEER_CLOCK_FILE=self.clock_file,
            RATELIMIT_ENABLED="0",
            PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",  # test data only: fast to seed
        )
        self.proc: subprocess.Popen | None = None

    def flask(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return out.stdout

    def set_clock(self, local: str | None) -> None:
        """Set the server's now to a local time 'YYYY-MM-DD HH:MM' (None: the real clock)."""
        if local is None:
            Path(self.clock_file).write_text("")
            return
        from zoneinfo import ZoneInfo

        at = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        Path(self.clock_file).write_text(at.isoformat())

    def start(self) -> None:
        self.flask("db", "upgrade")
        self.flask("seed-demo")
        log = open(os.path.join(self.tmp, "server.log"), "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "app",
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-reload",
                "--with-threads",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urlopen(self.url + "/healthz", timeout=2) as resp:  # noqa: S310
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the e2e server did not start: " + self.log())

    def log(self) -> str:
        return Path(self.tmp, "server.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    srv = Server()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


class Guard:
    """Collects console errors and requests to hosts other than the app's.

    A page the server answers with a 4xx status (a refused scan, a form with errors) is an
    answer the test judges by its content, so Chromium's "Failed to load resource" line for
    that page itself is not counted; a failing script, style or fetch still is, and so is
    any 5xx."""

    def __init__(self, app_url: str) -> None:
        self.host = urlsplit(app_url).netloc
        self.console: list[tuple[str, str]] = []
        self.answered_4xx: set[str] = set()
        self.foreign: list[str] = []

    def watch(self, page) -> None:
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and self.console.append((m.text, (m.location or {}).get("url", "")))
            ),
        )
        page.on("pageerror", lambda e: self.console.append((str(e), "")))
        page.on("request", self._request)
        page.on("response", self._response)

    def _response(self, response) -> None:
        if response.request.resource_type == "document" and 400 <= response.status < 500:
            self.answered_4xx.add(response.url)

    @property
    def errors(self) -> list[str]:
        return [
            text
            for text, url in self.console
            if not (text.startswith("Failed to load resource") and url in self.answered_4xx)
        ]

    def _request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != self.host:
            self.foreign.append(request.url)


@pytest.fixture
def new_context(browser, server, request):
    """Open browser contexts (phone, tablet, desktop) that fail the test on console errors
    or foreign requests; screenshots go to tests/e2e/screenshots/<test>/."""
    guards: list[Guard] = []
    contexts = []
    SHOTS.mkdir(parents=True, exist_ok=True)

    def make(kind: dict = PHONE, locale: str = "zh-CN"):
        ctx = browser.new_context(base_url=server.url, locale=locale, **kind)
        guard = Guard(server.url)
        ctx.on("page", guard.watch)
        guards.append(guard)
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        ctx.close()
    for guard in guards:
        assert not guard.foreign, f"requests to other hosts: {guard.foreign}"
        assert not guard.errors, f"browser console errors: {guard.errors}"


@pytest.fixture
def shot(request):
    """shot(page, 'name') saves a full-page screenshot for people to look at."""
    folder = SHOTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(page, name: str) -> None:
        counter["n"] += 1
        page.screenshot(path=str(folder / f"{counter['n']:02d}-{name}.png"), full_page=True)

    return take


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill the login form on the current page and submit it."""
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
