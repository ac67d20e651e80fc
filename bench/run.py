"""Benchmark driver: seed (or reuse) provinces, load the scan endpoint, time big reads.

    .venv/bin/python bench/run.py --quick     # `make bench`: a few minutes
    .venv/bin/python bench/run.py             # full: 1k/10k/50k provinces, scan on 50k

Scan load: the app under gunicorn on PostgreSQL (127.0.0.1 only), Locust headless with
32 concurrent students doing check-in/check-out with real rotating tokens, and in the
same server run the ceiling on GET /healthz. Data scale: bench/scale.py in-process.
Everything it starts it stops; every wait is bounded.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import seed as seeding  # noqa: E402
from bench.province import PASSWORD, Plan  # noqa: E402
from volunteer.checkin.tokens import STEP_SECONDS  # noqa: E402

BIN = Path(sys.executable).parent
RESULTS = seeding.RESULTS
REDIS_URL = "redis://127.0.0.1:6379/9"
_children: list[subprocess.Popen] = []


# --- databases ----------------------------------------------------------------------


def database_exists(name: str) -> bool:
    """Tell whether a PostgreSQL database exists on 127.0.0.1."""
    import psycopg

    with psycopg.connect(f"{seeding.PG_SERVER}/postgres", autocommit=True) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            is not None
        )


def ensure_province(name: str, students: int, *, reseed: bool = False) -> dict:
    """Return the sidecar of a seeded bench database, seeding it if missing or different."""
    url = seeding.pg_url(name)
    path = seeding.sidecar_path(url)
    if not reseed and path.exists() and database_exists(name):
        meta = json.loads(path.read_text())
        if meta["plan"]["students"] == students:
            print(f"reusing {name} ({students:,} students, seeded {meta['seeded_at'][:16]})")
            return meta
    print(f"seeding {name}: {students:,} students")
    scan = min(students // 4, 3000)
    return seeding.seed(url, Plan(students=students, scan_students=scan), log=lambda s: print(s))


# --- the server ---------------------------------------------------------------------


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _stop_all() -> None:
    for proc in _children:
        _stop(proc)


atexit.register(_stop_all)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def redis_available() -> bool:
    """Tell whether the local Redis answers (rate limits are shared through it)."""
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:
        return False


def server_env(meta: dict, ratelimit: bool) -> dict:
    """Return the environment of the app under test."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": meta["url"],
            "SECRET_KEY": "bench-secret-key",
            "ID_ENCRYPTION_KEY": meta["plan"]["id_key"],
        }
    )
    env.pop("VOLUNTEER_CLOCK_FILE", None)
    if ratelimit:
        env["RATELIMIT_STORAGE_URI"] = REDIS_URL
    else:
        env["RATELIMIT_ENABLED"] = "0"
    return env


def start_server(
    meta: dict, workers: int, ratelimit: bool, cwd: Path = ROOT
) -> tuple[subprocess.Popen, str]:
    """Start gunicorn on 127.0.0.1 and wait (at most 60 s) until /healthz answers."""
    import requests

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(RESULTS / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "app:app",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            "--timeout",
            "60",
        ],
        cwd=cwd,
        env=server_env(meta, ratelimit),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    _children.append(proc)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited: see {RESULTS / 'gunicorn.log'}")
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


# --- tokens and the pool ----------------------------------------------------------------


def fetch_tokens(base: str, meta: dict, count: int, budget_s: float = 300) -> dict[str, str]:
    """Return {username: token} for `count` pool students, from the stash or POST /tokens."""
    import requests

    stash = RESULTS / f"{meta['url'].rsplit('/', 1)[1]}.tokens.json"
    tokens: dict[str, str] = json.loads(stash.read_text()) if stash.exists() else {}
    if tokens:
        probe = next(iter(tokens.values()))
        r = requests.get(
            base + "/api/v1/me", headers={"Authorization": f"Bearer {probe}"}, timeout=10
        )
        if r.status_code != 200:
            tokens = {}  # a reseeded database: the stash is stale
    wanted = [row["username"] for row in meta["scan_pool"][:count] if row["username"] not in tokens]
    if wanted:
        print(f"getting {len(wanted)} tokens with POST /api/v1/tokens (scrypt: ~0.1 s each)")
    deadline = time.time() + budget_s
    session = requests.Session()

    def login(username: str) -> tuple[str, str | None]:
        if time.time() > deadline:
            return username, None
        r = session.post(
            base + "/api/v1/tokens", json={"username": username, "password": PASSWORD}, timeout=30
        )
        return username, r.json()["token"] if r.status_code == 201 else None

    with ThreadPoolExecutor(max_workers=8) as pool:
        for username, token in pool.map(login, wanted):
            if token:
                tokens[username] = token
    stash.write_text(json.dumps(tokens))
    return tokens


def write_pool(meta: dict, tokens: dict[str, str], path: Path, limit: int) -> int:
    """Write the locust pool: token, sites with secrets (read from the DB), open site."""
    import psycopg

    rows = [r for r in meta["scan_pool"] if r["username"] in tokens][:limit]
    with psycopg.connect(seeding._libpq(meta["url"])) as conn:
        secrets = dict(conn.execute("SELECT id, secret FROM sites WHERE is_active").fetchall())
        open_at = dict(
            conn.execute(
                "SELECT student_id, site_id FROM service_sessions WHERE status = 'open'"
            ).fetchall()
        )
        # Token steps still valid that an earlier run used (R11 would refuse them again).
        used: dict[int, list] = {}
        recent = int(time.time() // STEP_SECONDS) - 2
        for sid, site, step in conn.execute(
            "SELECT student_id, site_id, step FROM token_uses WHERE step >= %s", (recent,)
        ):
            used.setdefault(sid, []).append([site, step])
    pool = [
        {
            "student_id": r["student_id"],
            "token": tokens[r["username"]],
            "sites": [[s, secrets[s]] for s in r["site_ids"] if s in secrets],
            "open_site": open_at.get(r["student_id"]),
            "used": used.get(r["student_id"], []),
        }
        for r in rows
    ]
    path.write_text(json.dumps(pool))
    return len(pool)


# --- locust -----------------------------------------------------------------------------


class CpuMeter:
    """CPU seconds spent by the gunicorn workers and by this database's PostgreSQL backends.

    Per request, these do not depend on what else the shared box is doing (unlike latency),
    so they say what the throughput ratio would be on a machine of one's own.
    """

    def __init__(self, server: subprocess.Popen, database: str) -> None:
        self.server, self.database = server, database

    def _pids(self) -> dict[str, set[int]]:
        import psutil
        import psycopg

        workers = {p.pid for p in psutil.Process(self.server.pid).children(recursive=True)}
        with psycopg.connect(f"{seeding.PG_SERVER}/postgres", autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)
            ).fetchall()
        return {"app": workers, "db": {r[0] for r in rows}}

    def sample(self) -> dict[str, dict[int, float]]:
        """Return {group: {pid: cpu seconds}} now."""
        import psutil

        out: dict[str, dict[int, float]] = {}
        for group, pids in self._pids().items():
            out[group] = {}
            for pid in pids:
                with contextlib.suppress(psutil.Error):
                    t = psutil.Process(pid).cpu_times()
                    out[group][pid] = t.user + t.system
        return out

    @staticmethod
    def spent(before: dict, after: dict) -> dict[str, float]:
        """Return CPU seconds per group between two samples (new processes count whole)."""
        return {
            g: sum(v - before.get(g, {}).get(pid, 0.0) for pid, v in after[g].items())
            for g in after
        }


def run_locust(
    user_class: str,
    base: str,
    users: int,
    seconds: int,
    tag: str,
    env: dict,
    meter: CpuMeter | None = None,
) -> dict:
    """Run Locust headless for `seconds` and return the aggregated figures."""
    before = meter.sample() if meter else None
    prefix = RESULTS / f"locust_{tag}"
    cmd = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{seconds}s",
        "--host",
        base,
        "--csv",
        str(prefix),
        "--only-summary",
        "--stop-timeout",
        "5",
        "--loglevel",
        "WARNING",
        user_class,
    ]
    with open(RESULTS / f"locust_{tag}.log", "w") as log:
        subprocess.run(
            cmd,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=seconds + 120,
            check=False,
        )
    stats = read_stats(Path(f"{prefix}_stats.csv"))
    if meter and stats["requests"]:
        spent = CpuMeter.spent(before, meter.sample())
        stats["cpu_ms_per_request"] = {
            g: round(v * 1000 / stats["requests"], 2) for g, v in spent.items()
        }
    return stats


def read_stats(path: Path) -> dict:
    """Read the Aggregated row of a Locust stats CSV."""
    with open(path, newline="") as fh:
        rows = {r["Name"]: r for r in csv.DictReader(fh)}
    agg = rows["Aggregated"]

    def num(key: str) -> float:
        return float(agg[key] or 0)

    return {
        "requests": int(num("Request Count")),
        "failures": int(num("Failure Count")),
        "rps": round(num("Requests/s"), 1),
        "p50": num("50%"),
        "p95": num("95%"),
        "p99": num("99%"),
        "avg": round(num("Average Response Time"), 1),
        "by_name": {
            n: {"requests": int(r["Request Count"]), "p50": r["50%"], "p99": r["99%"]}
            for n, r in rows.items()
            if n != "Aggregated"
        },
    }


def scan_benchmark(meta: dict, args: argparse.Namespace, cwd: Path = ROOT) -> dict:
    """Start the server (the app in `cwd`), get tokens, measure the ceiling then the
    scan; stop the server."""
    ratelimit = not args.no_ratelimit and redis_available()
    proc, base = start_server(meta, args.workers, ratelimit, cwd)
    try:
        tokens = fetch_tokens(base, meta, args.pool)
        pool_path = RESULTS / "pool.json"
        n = write_pool(meta, tokens, pool_path, args.pool)
        print(
            f"pool: {n} students; server: gunicorn {args.workers} sync workers, "
            f"rate limits {'on (Redis)' if ratelimit else 'off'}"
        )
        env = {"BENCH_POOL": str(pool_path), "BENCH_SCAN_REPORT": str(RESULTS / "scan_report.json")}
        meter = CpuMeter(proc, meta["url"].rsplit("/", 1)[1])
        ceiling = run_locust(
            "HealthUser", base, args.users, args.ceiling_seconds, "ceiling", env, meter
        )
        ceiling["load_avg_1m"] = round(os.getloadavg()[0], 2)
        print(f"ceiling /healthz: {ceiling['rps']} req/s, p99 {ceiling['p99']} ms")
        scan = run_locust("ScanUser", base, args.users, args.scan_seconds, "scan", env, meter)
        scan["load_avg_1m"] = round(os.getloadavg()[0], 2)
        report_path = RESULTS / "scan_report.json"
        scan["report"] = json.loads(report_path.read_text()) if report_path.exists() else {}
        print(f"scan: {scan['rps']} req/s, p99 {scan['p99']} ms, failures {scan['failures']}")
        # The same students at a human pace: each scans once a second (latency, not capacity).
        write_pool(meta, tokens, pool_path, args.pool)  # where the saturated run left them
        paced = run_locust(
            "ScanUser",
            base,
            args.users,
            args.scan_seconds,
            "paced",
            {**env, "BENCH_PACE": "1"},
            meter,
        )
        paced["load_avg_1m"] = round(os.getloadavg()[0], 2)
        paced["report"] = json.loads(report_path.read_text()) if report_path.exists() else {}
        print(
            f"paced scan: {paced['rps']} req/s, p99 {paced['p99']} ms, failures {paced['failures']}"
        )
    finally:
        _stop(proc)
    ratio = scan["rps"] / ceiling["rps"] if ceiling["rps"] else 0.0
    return {
        "workers": args.workers,
        "users": args.users,
        "seconds": args.scan_seconds,
        "ratelimit": ratelimit,
        "pool": n,
        "ceiling": ceiling,
        "scan": scan,
        "paced": paced,
        "ratio": round(ratio, 3),
    }


# --- the table ------------------------------------------------------------------------


def print_tables(result: dict) -> str:
    """Print and return the results as Markdown tables."""
    lines = []
    for key, tree in (("scan_load_before", result.get("scan_before")), ("scan_load", "this tree")):
        if key not in result:
            continue
        s = result[key]
        lines += [
            f"### Scan load ({s['users']} concurrent, gunicorn {s['workers']} workers, "
            f"PostgreSQL, {result['scan_db']}; {tree})",
            "",
            "| endpoint | req/s | p50 ms | p95 ms | p99 ms | failures | load avg "
            "| app CPU ms/req | PG CPU ms/req |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        rows = (
            ("GET /healthz (ceiling)", "ceiling"),
            ("POST /api/v1/scan, saturated", "scan"),
            (f"POST /api/v1/scan, {s['users']} students × 1/s", "paced"),
        )
        for label, key in rows:
            f = s.get(key)
            if f is None:
                continue
            cpu = f.get("cpu_ms_per_request", {})
            lines.append(
                f"| {label} | {f['rps']} | {f['p50']:.0f} | {f['p95']:.0f} | "
                f"{f['p99']:.0f} | {f['failures']}/{f['requests']} | {f.get('load_avg_1m', '')} "
                f"| {cpu.get('app', '')} | {cpu.get('db', '')} |"
            )
        ratio_ok = "met" if s["ratio"] >= 0.5 else "MISSED"
        lines += [
            "",
            f"scan ÷ ceiling = **{s['ratio']:.2f}** (target ≥ 0.50: {ratio_ok}); "
            f"p99 saturated {s['scan']['p99']:.0f} ms",
        ]
        if "paced" in s:
            p99 = s["paced"]["p99"]
            lines.append(
                f"p99 with {s['users']} students scanning once a second: **{p99:.0f} ms** "
                f"(target < 100 ms: {'met' if p99 < 100 else 'MISSED'})"
            )
        report = s["scan"].get("report", {})
        lines.append(f"scan outcomes: {report.get('outcomes')}")
        budget = s["users"] * s.get("seconds", 0)
        if budget and report.get("starved_seconds", 0) > 0.05 * budget:
            lines.append(
                f"**the load generator waited {report['starved_seconds']:.0f} s "
                f"of {budget} user-seconds for a student who could legally scan: the pool of "
                f"{s['pool']} is too small for this rate, the scan figure is a "
                f"lower bound**"
            )
        lines.append("")
    if "scale" in result:
        from bench.scale import before_after_table, markdown_table

        lines += markdown_table(result["scale"])
        lines += before_after_table(result["scale"])
    lines.append(f"load average (1 min) at start: {result['load_avg_at_start'][0]:.1f} on 2 cores")
    text = "\n".join(lines)
    print(text)
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="small provinces, short runs (make bench)"
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--pool", type=int, default=None, help="students with tokens for the scan")
    parser.add_argument("--scan-seconds", type=int, default=None)
    parser.add_argument("--ceiling-seconds", type=int, default=None)
    parser.add_argument(
        "--sizes", default=None, help="students per province for data scale, e.g. 1000,10000,50000"
    )
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per request")
    parser.add_argument("--skip-scan", action="store_true")
    parser.add_argument(
        "--scan-before",
        default=None,
        help="a checkout of the tree to compare (git worktree add --detach DIR main): "
        "its scan load runs first, on the same database",
    )
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--no-ratelimit", action="store_true", help="RATELIMIT_ENABLED=0")
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args(argv)
    quick = args.quick
    sizes = [
        int(s) for s in (args.sizes or ("1000,3000" if quick else "1000,10000,50000")).split(",")
    ]
    # A student scans at most every 2.1 s (the 30/minute limit): the pool bounds the rate.
    args.pool = args.pool or (600 if quick else 1000)
    args.scan_seconds = args.scan_seconds or (20 if quick else 30)
    args.ceiling_seconds = args.ceiling_seconds or (15 if quick else 30)
    repeat = args.repeat or (1 if quick else 3)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.time()
    provinces = {n: ensure_province(db_name(n), n, reseed=args.reseed) for n in sizes}
    result: dict = {
        "quick": quick,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "load_avg_at_start": os.getloadavg(),
    }
    if not args.skip_scan:
        biggest = max(sizes)
        result["scan_db"] = db_name(biggest)
        if args.scan_before:
            # The tree before, on the same database, right before this one (one run).
            result["scan_before"] = args.scan_before
            result["scan_load_before"] = scan_benchmark(
                provinces[biggest], args, Path(args.scan_before)
            )
        result["scan_load"] = scan_benchmark(provinces[biggest], args)
    if not args.skip_scale:
        from bench.scale import measure_province

        # Slow requests are profiled (pyinstrument) on the biggest province of a full run.
        result["scale"] = {
            n: measure_province(provinces[n], repeat=repeat, profile=not quick and n == max(sizes))
            for n in sizes
        }
    result["elapsed_s"] = round(time.time() - started, 1)
    out = RESULTS / ("quick.json" if quick else "full.json")
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    print()
    text = print_tables(result)
    (out.with_suffix(".md")).write_text(text + "\n")
    print(f"\n(done in {result['elapsed_s']} s; raw figures in {out})")


# Engineers sharing a box give their bench databases a prefix of their own (BENCH_DB_PREFIX).
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "bench_")


def db_name(students: int) -> str:
    """Return the bench database name for a province size."""
    return f"{DB_PREFIX}{students // 1000}k" if students % 1000 == 0 else f"{DB_PREFIX}{students}"


if __name__ == "__main__":
    main()
