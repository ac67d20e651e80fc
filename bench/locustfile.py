"""Locust load: students scanning kiosk codes, and the server's ceiling on /healthz.

Run by bench/run.py (which seeds, starts gunicorn and writes the pool file):

    BENCH_POOL=bench/results/pool.json locust -f bench/locustfile.py --headless \
        -u 32 -r 32 -t 30s --host http://127.0.0.1:PORT ScanUser
    locust -f bench/locustfile.py --headless -u 32 -r 32 -t 30s --host ... HealthUser

The pool file lists students with an API token and the sites of their enterprise with
the site secret read from the database, so each scan carries the token a kiosk would
show right now (volunteer.checkin.tokens.make_rotating_token). One token step serves a
student once per site (R11 token_reused), and scans are limited to 30 a minute per
student, so the shared scheduler below hands each simulated request a student who can
legally scan now: check in at any of their sites, check out at the site they are in.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from collections import Counter, deque
from pathlib import Path

import gevent
from locust import between, constant, events, task
from locust.contrib.fasthttp import FastHttpUser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from volunteer.checkin.tokens import STEP_SECONDS, make_rotating_token  # noqa: E402

# Seconds between two scans of one student: stays under the 30/minute scan limit.
SCAN_GAP = float(os.environ.get("BENCH_SCAN_GAP", "2.1"))
# A previous-step token is used only while it has this many seconds of validity left.
STEP_MARGIN = 3.0


class Student:
    """One pooled student: token, sites, where they are checked in, steps they used."""

    __slots__ = ("id", "token", "sites", "open_site", "used", "last")

    def __init__(self, row: dict) -> None:
        self.id = row["student_id"]
        self.token = row["token"]
        self.sites = [(int(s), secret) for s, secret in row["sites"]]
        self.open_site = row.get("open_site")
        self.used: set[tuple[int, int]] = {(site, step) for site, step in row.get("used", [])}
        self.last = 0.0

    def next_scan(self, now: float) -> tuple[str, int, str, int] | None:
        """Return (action, site_id, token, step) for a legal scan now, or None."""
        step = int(now // STEP_SECONDS)
        steps = [step]
        if (step + 1) * STEP_SECONDS - now > STEP_MARGIN:
            steps.append(step - 1)  # still valid: the API accepts the previous step (R8)
        if self.open_site is not None:
            # Check out where they are, with whichever valid step is still unused.
            secret = dict(self.sites).get(self.open_site)
            for s in steps:
                if secret is not None and (self.open_site, s) not in self.used:
                    return (
                        "check_out",
                        self.open_site,
                        make_rotating_token(self.open_site, secret, s),
                        s,
                    )
            return None
        # Check in with the oldest valid step at a site where a newer one is still free,
        # so that the check-out has a token of its own (one use per student, site and
        # step: R11 token_reused); else with any free step.
        free = [
            (site_id, secret, [s for s in steps if (site_id, s) not in self.used])
            for site_id, secret in self.sites
        ]
        for site_id, secret, unused in sorted(free, key=lambda f: -len(f[2])):
            if unused:
                s = unused[-1]
                return "check_in", site_id, make_rotating_token(site_id, secret, s), s
        return None


class Scheduler:
    """Round-robin over the pool; a student is out of the queue while a request runs."""

    def __init__(self, rows: list[dict]) -> None:
        self.queue: deque[Student] = deque(Student(r) for r in rows)
        self.outcomes: Counter[str] = Counter()
        self.starved_s = 0.0
        self.starved_n = 0

    def take(self) -> tuple[Student, tuple[str, int, str, int]]:
        """Return a student who may scan now, waiting (counted as starvation) if none."""
        deadline = time.time() + 60
        while time.time() < deadline:
            now = time.time()
            for _ in range(len(self.queue)):
                st = self.queue.popleft()
                if now - st.last < SCAN_GAP:
                    self.queue.appendleft(st)  # the queue is in order of last use
                    break
                scan = st.next_scan(now)
                if scan is not None:
                    return st, scan
                self.queue.append(st)
            t = time.time()
            gevent.sleep(0.05)
            self.starved_s += time.time() - t
            self.starved_n += 1
        raise RuntimeError("no student could scan for 60 s: the pool is too small")

    def give_back(self, st: Student) -> None:
        """Return a student to the end of the queue."""
        st.last = time.time()
        self.queue.append(st)


_scheduler: Scheduler | None = None


def scheduler() -> Scheduler:
    """Return the process-wide scheduler, loading the pool file on first use."""
    global _scheduler
    if _scheduler is None:
        rows = json.loads(Path(os.environ["BENCH_POOL"]).read_text())
        _scheduler = Scheduler(rows)
    return _scheduler


@events.test_stop.add_listener
def _report(environment, **_kwargs) -> None:
    out = os.environ.get("BENCH_SCAN_REPORT")
    if out and _scheduler is not None:
        Path(out).write_text(
            json.dumps(
                {
                    "outcomes": dict(_scheduler.outcomes),
                    "starved_seconds": round(_scheduler.starved_s, 2),
                    "starved_waits": _scheduler.starved_n,
                    "pool": len(_scheduler.queue),
                }
            )
        )


# Scans per second per simulated user: unset = as fast as the server answers (saturation);
# BENCH_DEVICE_IDS=1: each scan carries its phone's device_id, as the scan page sends it
# (the shared-device check, R42, then reads the device's last 30 days at each scan).
DEVICE_IDS = os.environ.get("BENCH_DEVICE_IDS") == "1"
# BENCH_PACE=1 = 32 students at the kiosks each scanning about once a second (latency at
# load). The pause is random (0–2 s) so that the students do not all arrive in step.
PACE = float(os.environ.get("BENCH_PACE") or 0)


class ScanUser(FastHttpUser):
    """A stream of students at the kiosks: POST /api/v1/scan with real rotating tokens."""

    wait_time = between(0, 2 / PACE) if PACE else constant(0)

    def on_start(self) -> None:
        if PACE:  # paced students arrive spread out, as people do, not in one burst
            gevent.sleep(random.uniform(0, 2 / PACE))

    @task
    def scan(self) -> None:
        sched = scheduler()
        st, (action, site_id, token, step) = sched.take()
        try:
            self._post(sched, st, action, site_id, token, step)
        finally:
            sched.give_back(st)

    def _post(self, sched, st, action, site_id, token, step) -> None:
        body = {"token": token, "action": action, "nonce": uuid.uuid4().hex}
        if DEVICE_IDS:  # as the scan page sends it (R42): one phone per student
            body["device_id"] = f"bench-phone-{st.id}"
        headers = {"Authorization": f"Bearer {st.token}"}
        with self.client.post(
            "/api/v1/scan", json=body, headers=headers, name=f"scan {action}", catch_response=True
        ) as resp:
            code = resp.status_code
            try:
                data = resp.json()
            except Exception:
                data = {}
            if code in (200, 201):
                st.used.add((site_id, step))
                st.open_site = site_id if action == "check_in" else None
                sched.outcomes[data.get("result", str(code))] += 1
                resp.success()
                return
            err = (
                (data.get("error") or {}).get("code", str(code))
                if isinstance(data, dict)
                else str(code)
            )
            sched.outcomes[err] += 1
            # Keep the simulated student in step with the server, then report the failure.
            if err == "already_checked_in":
                st.open_site = (data.get("session") or {}).get("site_id")
            elif err == "not_checked_in":
                st.open_site = None
            elif err == "token_reused":
                st.used.add((site_id, step))
            resp.failure(f"{code} {err}")


class HealthUser(FastHttpUser):
    """The ceiling: GET /healthz (one SELECT 1 on the database) as fast as possible."""

    wait_time = constant(0)

    @task
    def health(self) -> None:
        self.client.get("/healthz", name="healthz")
