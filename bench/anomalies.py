"""`flask detect-anomalies` (R42) over a seeded province: time of each nightly detector.

    .venv/bin/python bench/seed.py --db bench_integrity --students 50000
    .venv/bin/python bench/anomalies.py --db bench_integrity

The seeded province has no coordinates and no scan log, which would leave two detectors
idle; `--prepare` (default on) first gives every site coordinates in Shaanxi and adds a
scan-log row with a location verdict for every session of the last 40 days (1 in 20
outside the radius, and every scan of 1 student in 40: those are found, so the queueing
and its audit are timed too), so every detector reads real volumes. Each window (35 days, the
nightly default, and a whole year) runs twice: the second run finds nothing new
(idempotence) and shows the cost of a night with nothing to add.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"

PREPARE = [
    # Sites spread over about 150 km x 150 km around Xi'an, 300 m radius.
    """UPDATE sites SET latitude = 34.26 + ((id * 7919) % 1000) / 750.0 - 0.66,
                        longitude = 108.94 + ((id * 104729) % 1000) / 600.0 - 0.83,
                        radius_m = 300""",
    """DELETE FROM scan_attempts WHERE user_agent = 'bench-anomalies'""",
    """INSERT INTO scan_attempts (at, student_id, site_id, action, result, token_kind,
                                  user_agent, location_verdict, distance_m, session_id)
       SELECT s.check_in_at, s.student_id, s.site_id, 'check_in', 'checked_in', 'rotating',
              'bench-anomalies',
              CASE WHEN s.id % 20 = 0 OR s.student_id % 40 = 0
                   THEN 'location_outside' ELSE 'location_inside' END,
              CASE WHEN s.id % 20 = 0 OR s.student_id % 40 = 0 THEN 2500 ELSE 40 END, s.id
       FROM service_sessions s
       WHERE s.check_in_at > now() - interval '40 days'""",
    "DELETE FROM anomaly_students",
    "DELETE FROM anomalies",
    "ANALYZE sites",
    "ANALYZE scan_attempts",
]


def main() -> None:
    """Prepare the province, then time detect-anomalies per detector and window."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="bench_integrity")
    parser.add_argument("--no-prepare", action="store_true")
    args = parser.parse_args()
    url = f"postgresql://postgres@127.0.0.1:5432/{args.db}"

    from volunteer import create_app
    from volunteer.anomalies import detection
    from volunteer.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    report: dict = {"db": args.db}
    with app.app_context():
        if not args.no_prepare:
            started = time.perf_counter()
            for statement in PREPARE:
                db.session.execute(db.text(statement))
            db.session.commit()
            report["prepare_s"] = round(time.perf_counter() - started, 1)
        counts = db.session.execute(
            db.text(
                "SELECT (SELECT count(*) FROM students), (SELECT count(*) FROM service_sessions),"
                " (SELECT count(*) FROM scan_attempts), (SELECT count(*) FROM session_months)"
            )
        ).one()
        report["rows"] = dict(
            zip(("students", "sessions", "scan_attempts", "session_months"), counts, strict=True)
        )
        for days in (35, 366):
            for run in (1, 2):
                timings: dict[str, float] = {}
                originals = detection.DETECTORS

                def timed(detector, timings=timings):
                    def run_one(since, now, sites):
                        t0 = time.perf_counter()
                        found = detector(since, now, sites)
                        timings[detector.__name__] = round(time.perf_counter() - t0, 2)
                        return found

                    return run_one

                detection.DETECTORS = tuple(timed(d) for d in originals)
                started = time.perf_counter()
                new = detection.detect_anomalies(days=days)
                total = round(time.perf_counter() - started, 2)
                detection.DETECTORS = originals
                report[f"days_{days}_run_{run}"] = {
                    "total_s": total,
                    "per_detector_s": timings,
                    "new": new,
                }
                print(days, run, total, timings, new, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "anomalies.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
