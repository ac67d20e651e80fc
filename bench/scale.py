"""Data scale: time the big reads in-process (Flask test client) and count their SQL.

    .venv/bin/python bench/scale.py --db bench_50k [--repeat 3] [--profile]

For one seeded province: compliance for the province and one city, the union dashboard
and summary pages, and the 500-student enterprise's report in every format. Each request
is made once to warm up, then timed `repeat` times; the statements are counted with a
`before_cursor_execute` listener. Requests slower than PROFILE_OVER_S are profiled once
with pyinstrument (bench/results/profile_*.txt). Endpoints not there yet are skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import seed as seeding  # noqa: E402

RESULTS = seeding.RESULTS
PROFILE_OVER_S = 0.5


def _requests(meta: dict) -> list[tuple[str, str, str, str | tuple]]:
    """(label, who, kind, path or (endpoint, args)) of every measured request."""
    last, this = meta["months"][-2], meta["months"][-1]
    ent = meta["big_enterprise_id"]
    return [
        ("compliance province, last month", "sx_admin", "api", f"/api/v1/compliance?month={last}"),
        ("compliance province, this month", "sx_admin", "api", f"/api/v1/compliance?month={this}"),
        (
            "compliance city XA, last month",
            "sx_admin",
            "api",
            f"/api/v1/compliance?month={last}&union_code=XA",
        ),
        ("union dashboard page (SX)", "sx_admin", "page", ("compliance.dashboard", {})),
        ("union summary page (SX)", "sx_admin", "page", ("reports.union_summary", {})),
        ("union summary csv (SX)", "sx_admin", "api", f"/api/v1/unions/SX/reports/{last}.csv"),
        (
            f"enterprise report csv ({ent}, 500 students)",
            "ent",
            "api",
            f"/api/v1/enterprises/{ent}/reports/{last}.csv",
        ),
        ("enterprise report xlsx", "ent", "api", f"/api/v1/enterprises/{ent}/reports/{last}.xlsx"),
        ("enterprise report pdf", "ent", "api", f"/api/v1/enterprises/{ent}/reports/{last}.pdf"),
        (
            "enterprise compliance (API)",
            "ent",
            "api",
            f"/api/v1/compliance?month={last}&enterprise_id={ent}",
        ),
    ]


class Counting:
    """Count (and keep) the SQL statements run on an engine."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.statements: list[str] = []
        self.db_s = 0.0
        self._started = 0.0
        event.listen(engine, "before_cursor_execute", self._on)
        event.listen(engine, "after_cursor_execute", self._done)

    def _on(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)
        self._started = time.perf_counter()

    def _done(self, conn, cursor, statement, parameters, context, executemany) -> None:
        # Until the driver returns: PostgreSQL's work and the transfer, not row processing.
        self.db_s += time.perf_counter() - self._started

    database = ""

    def reset(self) -> None:
        self.statements = []
        self.db_s = 0.0


def _app(meta: dict):
    from volunteer import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": meta["url"],
            "ID_ENCRYPTION_KEY": meta["plan"]["id_key"],
            "SECRET_KEY": "bench-secret-key",
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )


def _clients(app, meta: dict) -> dict:
    """Return {who: (API client, logged-in browser client, bearer headers)}."""
    users = {"sx_admin": "sx_admin", "ent": meta["big_enterprise_staff"]}
    out = {}
    for who, username in users.items():
        api, browser = app.test_client(), app.test_client()
        r = api.post("/api/v1/tokens", json={"username": username, "password": meta["password"]})
        token = r.get_json()["token"] if r.status_code == 201 else ""
        browser.post("/login", data={"username": username, "password": meta["password"]})
        out[who] = (api, browser, {"Authorization": f"Bearer {token}"})
    return out


def _url(app, kind: str, target) -> str | None:
    if kind == "api":
        return target
    endpoint, values = target
    if endpoint not in app.view_functions:
        return None
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def measure_province(
    meta: dict, repeat: int = 3, profile: bool = True, only: str = "", before: bool = True
) -> dict:
    """Time every request of `_requests` against one province; return label → figures.
    With `before`, each request is also timed with COMPLIANCE_READ_MODEL off (the live
    computation of every student's month, as before the read model) in the same run:
    figures["before"]."""
    from volunteer.extensions import db

    app = _app(meta)
    name = meta["url"].rsplit("/", 1)[1]
    out: dict[str, dict] = {}
    # Requests run outside any pushed app context: a shared one would share `g` (and the
    # cached actor) between requests.
    with app.app_context():
        engine = db.engine
    counting = Counting(engine)
    counting.database = name
    clients = _clients(app, meta)
    for label, who, kind, target in _requests(meta):
        if only not in label:
            continue
        url = _url(app, kind, target)
        if url is None:
            out[label] = {"status": "absent"}
            continue
        api, browser, bearer = clients[who]
        client, headers = (api, bearer) if kind == "api" else (browser, {})
        old = None
        if before:
            app.config["COMPLIANCE_READ_MODEL"] = False
            old = _measure(client, url, headers, counting, repeat)
            app.config["COMPLIANCE_READ_MODEL"] = True
            print(f"  {name:<10} {label + ' (before)':<44} {_fmt(old)}")
        out[label] = fig = _measure(client, url, headers, counting, repeat)
        if old is not None:
            fig["before"] = old
        _keep_statements(counting, name, label)
        if profile and fig.get("median_s", 0) > PROFILE_OVER_S:
            fig["profile"] = _profile(client, url, headers, name, label)
        print(f"  {name:<10} {label:<44} {_fmt(fig)}")
    engine.dispose()
    return out


def _pg_cpu(database: str) -> float:
    """CPU seconds spent so far by the PostgreSQL backends connected to a database."""
    import psutil
    import psycopg

    with psycopg.connect(f"{seeding.PG_SERVER}/postgres", autocommit=True) as conn:
        pids = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchall()
    total = 0.0
    for (pid,) in pids:
        with contextlib.suppress(psutil.Error):
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
    return total


def _measure(client, url: str, headers: dict, counting: Counting, repeat: int) -> dict:
    database = counting.database
    counting.reset()
    t = time.perf_counter()
    r = client.get(url, headers=headers)
    first = time.perf_counter() - t
    if r.status_code != 200:
        return {
            "status": r.status_code,
            "first_s": round(first, 3),
            "error": r.get_data(as_text=True)[:200],
        }
    times, cpu, db, pg = [], [], [], []
    # Very slow requests are timed once more, not `repeat` times: the run stays bounded.
    for _ in range(repeat if first < 5 else 1):
        counting.reset()
        p = _pg_cpu(database)
        t, c = time.perf_counter(), time.process_time()
        r = client.get(url, headers=headers)
        times.append(time.perf_counter() - t)
        # PostgreSQL's CPU for the request: with the app's, what a quiet box would take.
        pg.append(_pg_cpu(database) - p)
        # The app's own CPU (this process; not PostgreSQL's): steadier on a shared box.
        cpu.append(time.process_time() - c)
        db.append(counting.db_s)
    return {
        "status": r.status_code,
        "first_s": round(first, 3),
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "cpu_s": round(statistics.median(cpu), 3),
        "db_s": round(statistics.median(db), 3),
        "pg_cpu_s": round(statistics.median(pg), 3),
        "statements": len(counting.statements),
        "bytes": len(r.data),
        "load_avg": round(os.getloadavg()[0], 2),
    }


def _profile(client, url: str, headers: dict, name: str, label: str) -> str:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    client.get(url, headers=headers)
    profiler.stop()
    path = RESULTS / f"profile_{name}_{_slug(label)}.txt"
    path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    return str(path.relative_to(ROOT))


def _keep_statements(counting: Counting, name: str, label: str) -> None:
    # The statements of the last timed run, most repeated first: an N+1 stands out.
    counts = Counter(" ".join(s.split())[:300] for s in counting.statements)
    lines = [f"{n:6d}  {s}" for s, n in counts.most_common()]
    (RESULTS / f"sql_{name}_{_slug(label)}.txt").write_text("\n".join(lines) + "\n")


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in label.split("(")[0].strip().lower())[:40]


def _fmt(fig: dict) -> str:
    if "median_s" not in fig:
        return f"status {fig.get('status')} {fig.get('error', '')[:80]!r}"
    return (
        f"{fig['median_s'] * 1000:8.0f} ms (app CPU {fig['cpu_s'] * 1000:6.0f}, "
        f"SQL {fig['db_s'] * 1000:6.0f} ms, PG CPU {fig.get('pg_cpu_s', 0) * 1000:5.0f})  "
        f"{fig['statements']:4d} statements  {fig['bytes']:>9,} B"
    )


def markdown_table(scale: dict) -> list[str]:
    """Return Markdown lines: one row per request, time and statements per size."""
    sizes = sorted(scale, key=int)
    labels = list(next(iter(scale.values())))
    head = " | ".join(f"{int(n):,} students" for n in sizes)
    lines = [
        "### Data scale (in-process, PostgreSQL)",
        "",
        "Each cell: median wall ms (app CPU ms, time inside SQL execute ms) / SQL statements.",
        "",
        f"| request | {head} | growth |",
        "|---|" + "---:|" * (len(sizes) + 1),
    ]
    for label in labels:
        cells, ms = [], []
        for n in sizes:
            fig = scale[n].get(label, {})
            if "median_s" in fig:
                cells.append(
                    f"{fig['median_s'] * 1000:.0f} ({fig['cpu_s'] * 1000:.0f}, "
                    f"{fig['db_s'] * 1000:.0f}) / {fig['statements']}"
                )
                ms.append(fig["median_s"])
            else:
                cells.append(str(fig.get("status", "—")))
        growth = f"×{ms[-1] / ms[-2]:.1f}" if len(ms) >= 2 and ms[-2] > 0 else ""
        lines.append(f"| {label} | {' | '.join(cells)} | {growth} |")
    return lines + [""]


def _cpu_ms(fig: dict) -> str:
    return f"{(fig['cpu_s'] + fig.get('pg_cpu_s', 0)) * 1000:.0f}"


def before_after_table(scale: dict) -> list[str]:
    """Return Markdown lines: before (live computation) and after (read model) per size."""
    lines = [
        "### Before / after the read model (same run, same database)",
        "",
        "Each cell: median wall ms (app + PostgreSQL CPU ms) / SQL statements, before → after.",
        "",
        "| request | " + " | ".join(f"{int(n):,} students" for n in sorted(scale, key=int)) + " |",
        "|---|" + "---:|" * len(scale),
    ]
    labels = list(next(iter(scale.values())))
    for label in labels:
        cells = []
        for n in sorted(scale, key=int):
            fig = scale[n].get(label, {})
            old = fig.get("before", {})
            if "median_s" in fig and "median_s" in old:
                cells.append(
                    f"{old['median_s'] * 1000:.0f} ({_cpu_ms(old)}) / {old['statements']} → "
                    f"**{fig['median_s'] * 1000:.0f}** ({_cpu_ms(fig)}) / {fig['statements']}"
                )
            else:
                cells.append("—")
        lines.append(f"| {label} | {' | '.join(cells)} |")
    return lines + [""]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True, help="a seeded bench database, e.g. bench_10k")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--only", default="", help="measure the requests whose label contains this")
    parser.add_argument("--no-before", action="store_true", help="skip the live computation")
    args = parser.parse_args(argv)
    meta = json.loads(seeding.sidecar_path(seeding.pg_url(args.db)).read_text())
    result = measure_province(
        meta,
        repeat=args.repeat,
        profile=not args.no_profile,
        only=args.only,
        before=not args.no_before,
    )
    sizes = {meta["plan"]["students"]: result}
    print("\n".join(markdown_table(sizes) + before_after_table(sizes)))


if __name__ == "__main__":
    main()
