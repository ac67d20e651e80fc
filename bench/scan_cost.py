"""What the read model's upsert costs a scan: check-in/check-out pairs through the app's
own scan service, in-process, on a seeded province, alternating pairs with the upsert
and without it (the receiver's one statement replaced by nothing), so that a busy box
slows both the same. Reports per check-out: wall ms, app CPU ms, PostgreSQL backend
CPU ms and statements (medians).

    .venv/bin/python bench/scan_cost.py --db bench_50k --pairs 400
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import seed as seeding  # noqa: E402
from bench.scale import Counting, _app  # noqa: E402


def measure(meta: dict, pairs: int) -> dict:
    import psutil
    from sqlalchemy import select, text

    from volunteer import clock
    from volunteer.auth.models import User
    from volunteer.checkin import scanning, tokens
    from volunteer.compliance import readmodel
    from volunteer.enterprises.models import Site
    from volunteer.extensions import db

    app = _app(meta)
    out: dict[str, dict[str, list[float]]] = {"with upsert": {}, "without": {}}
    real = readmodel.add_session_minutes
    with app.app_context():
        counting = Counting(db.engine)
        backend = psutil.Process(db.session.execute(text("SELECT pg_backend_pid()")).scalar())
        db.session.commit()
        # Students the Locust runs never used (run.py's pool takes the first 1,000).
        pool = meta["scan_pool"][1000 : 1000 + pairs]
        users = {
            u.student_id: u
            for u in db.session.scalars(
                select(User).where(User.student_id.in_([p["student_id"] for p in pool]))
            )
        }
        sites = {s.id: s for s in db.session.scalars(select(Site))}
        # Internship agreements (the scan pool): any day is allowed; every step is fresh.
        start = clock.now().replace(microsecond=0)
        clock.freeze(start)
        for i, entry in enumerate(pool):
            mode = "with upsert" if i % 2 else "without"
            readmodel.add_session_minutes = real if i % 2 else (lambda _sid: None)
            user, site = users[entry["student_id"]], sites[entry["site_ids"][0]]
            step = tokens.step_at(clock.now())
            try:
                scanning.record_scan(
                    user, tokens.make_rotating_token(site.id, site.secret, step), "check_in"
                )
            except Exception as exc:  # noqa: BLE001 - a student already in: skip them
                print(f"  skip {entry['username']}: {exc}")
                continue
            clock.advance(timedelta(minutes=10))
            step = tokens.step_at(clock.now())
            token = tokens.make_rotating_token(site.id, site.secret, step)
            counting.reset()
            cpu, pg, t = time.process_time(), sum(backend.cpu_times()[:2]), time.perf_counter()
            scanning.record_scan(user, token, "check_out")
            figures = out[mode]
            figures.setdefault("wall_ms", []).append((time.perf_counter() - t) * 1000)
            figures.setdefault("app_cpu_ms", []).append((time.process_time() - cpu) * 1000)
            figures.setdefault("pg_cpu_ms", []).append((sum(backend.cpu_times()[:2]) - pg) * 1000)
            figures.setdefault("statements", []).append(len(counting.statements))
        readmodel.add_session_minutes = real
        # The pairs without the upsert left their minutes out of the read model: put
        # them back, so that verify-figures still finds nothing to report.
        for month in {clock.current_month()}:
            skipped = [e["student_id"] for i, e in enumerate(pool) if not i % 2]
            for student_id in skipped:
                readmodel.refresh_student(student_id, {month})
            db.session.commit()
        clock.freeze(None)
    return {
        mode: {f"{k} median": round(statistics.median(v), 3) for k, v in figs.items()}
        | {f"{k} mean": round(statistics.mean(v), 3) for k, v in figs.items()}
        | {"n": len(figs["wall_ms"])}
        for mode, figs in out.items()
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--pairs", type=int, default=400)
    args = parser.parse_args(argv)
    meta = json.loads(seeding.sidecar_path(seeding.pg_url(args.db)).read_text())
    result = measure(meta, args.pairs)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
