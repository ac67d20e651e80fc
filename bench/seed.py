"""Generate a province into a database of its own, in bulk (COPY on PostgreSQL).

    .venv/bin/python bench/seed.py --db bench_50k --students 50000
    .venv/bin/python bench/seed.py --database-url sqlite:////tmp/bench.sqlite --students 1000

The database is dropped and recreated, migrated with the app's own migrations
(`flask db upgrade`), then filled table by table. A JSON sidecar in bench/results/
records the plan, the row counts, the timings and the kiosk (scan) pool.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import province_sessions as ps  # noqa: E402
from bench.province import COLUMNS, PASSWORD, Plan, Province  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_ID_KEY = "bench-id-encryption-key"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def pg_url(name: str) -> str:
    """Return the URL of a bench database on the local PostgreSQL."""
    if not _NAME_RE.match(name):
        raise SystemExit(f"bad database name {name!r}")
    return f"{PG_SERVER}/{name}"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def recreate_database(url: str) -> None:
    """Drop and create the database named by `url` (PostgreSQL) or delete the SQLite file."""
    if url.startswith("sqlite"):
        path = Path(url.split("sqlite:///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    import psycopg

    server, name = _libpq(url).rsplit("/", 1)
    if not _NAME_RE.match(name) or "127.0.0.1" not in server:
        raise SystemExit(f"refusing to recreate {url}: bench databases live on 127.0.0.1")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def migrate(url: str, id_key: str) -> None:
    """Create the schema with the app's migrations (the same as `flask db upgrade`)."""
    from flask_migrate import upgrade

    from volunteer import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "ID_ENCRYPTION_KEY": id_key,
            "SECRET_KEY": "bench-secret-key",
        }
    )
    with app.app_context():
        upgrade()
        from volunteer.extensions import db

        db.engine.dispose()


class PgLoader:
    """COPY rows in; foreign-key triggers are off for the load (the generator is consistent)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = _libpq(url)
        self.conns = [psycopg.connect(self.url) for _ in range(2)]
        for conn in self.conns:
            # Superuser-only, bench-only: skip per-row FK checks while bulk loading.
            conn.execute("SET session_replication_role = replica")
            conn.execute("SET synchronous_commit = off")

    def _copy(self, conn, table: str):
        from psycopg.copy import QueuedLibpqWriter

        cur = conn.cursor()
        sql = f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN"
        # The queued writer sends from a thread, so generating and loading overlap.
        return cur.copy(sql, writer=QueuedLibpqWriter(cur))

    def load(self, table: str, rows: Iterable[tuple]) -> int:
        """COPY one table's rows; return how many."""
        n = 0
        with self._copy(self.conns[0], table) as cp:
            for row in rows:
                cp.write_row(row)
                n += 1
        self.conns[0].commit()
        return n

    def load_pair(self, first: str, second: str, generate: Callable) -> None:
        """COPY two tables at once on two connections from one generator."""
        # Building the secondary indexes once afterwards beats maintaining them per row.
        conn = self.conns[0]
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN (%s, %s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            (first, second),
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.commit()
        with self._copy(self.conns[0], first) as a, self._copy(self.conns[1], second) as b:
            generate(a.write_row, b.write_row)
        for c in self.conns:
            c.commit()
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            conn.execute(definition)
        conn.commit()

    def finish(self) -> None:
        """Reset sequences past the explicit ids, then VACUUM ANALYZE."""
        import psycopg

        conn = self.conns[0]
        for table, cols in COLUMNS.items():
            if "id" in cols:
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )
        conn.commit()
        for c in self.conns:
            c.close()
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")


def _sqlite_value(v):
    # The app's DateTime columns store SQLAlchemy's SQLite format (with microseconds).
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, date):
        return v.isoformat()
    return v


class SqliteLoader:
    """executemany in batches; for small provinces."""

    BATCH = 20_000

    def __init__(self, url: str) -> None:
        self.conn = sqlite3.connect(url.split("sqlite:///", 1)[1])
        self.conn.execute("PRAGMA foreign_keys=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")

    def _sql(self, table: str) -> str:
        cols = COLUMNS[table]
        return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"

    def load(self, table: str, rows: Iterable[tuple]) -> int:
        """Insert one table's rows; return how many."""
        sql, batch, n = self._sql(table), [], 0
        for row in rows:
            batch.append(tuple(map(_sqlite_value, row)))
            if len(batch) >= self.BATCH:
                self.conn.executemany(sql, batch)
                n += len(batch)
                batch.clear()
        self.conn.executemany(sql, batch)
        self.conn.commit()
        return n + len(batch)

    def load_pair(self, first: str, second: str, generate: Callable) -> None:
        """Insert two tables' rows from one generator."""
        batches: dict[str, list] = {first: [], second: []}

        def sink(table: str) -> Callable:
            sql, batch = self._sql(table), batches[table]

            def emit(row: tuple) -> None:
                batch.append(tuple(map(_sqlite_value, row)))
                if len(batch) >= self.BATCH:
                    self.conn.executemany(sql, batch)
                    batch.clear()

            return emit

        generate(sink(first), sink(second))
        for table, batch in batches.items():
            self.conn.executemany(self._sql(table), batch)
        self.conn.commit()

    def finish(self) -> None:
        """Analyse for the planner."""
        self.conn.execute("ANALYZE")
        self.conn.close()


def seed(url: str, plan: Plan, *, log: Callable[[str], None] = print) -> dict:
    """Recreate, migrate and fill a database; return the sidecar dict (also written)."""
    from werkzeug.security import generate_password_hash

    started = time.perf_counter()
    timings: dict[str, float] = {}
    recreate_database(url)
    migrate(url, plan.id_key)
    timings["migrate"] = time.perf_counter() - started
    # Bench data: one hash for every account, computed once.
    plan.password_hash = generate_password_hash(PASSWORD, method="scrypt")
    p = Province(plan)
    loader = PgLoader(url) if url.startswith("postgres") else SqliteLoader(url)
    steps = [
        ("unions", p.unions),
        ("enterprises", p.enterprises),
        ("sites", p.sites),
        ("students", p.students),
        ("aid_records", p.aid_records),
        ("users", p.users),
        ("agreements", lambda: ps.agreement_rows(p)),
    ]
    for table, rows in steps:
        t = time.perf_counter()
        p.counts[table] = loader.load(table, rows())
        timings[table] = time.perf_counter() - t
        log(f"  {table:<18} {p.counts[table]:>10,} rows  {timings[table]:6.1f} s")
    t = time.perf_counter()
    loader.load_pair("service_sessions", "session_months", lambda a, b: ps.session_rows(p, a, b))
    timings["sessions"] = time.perf_counter() - t
    log(
        f"  service_sessions   {p.counts['service_sessions']:>10,} rows  "
        f"+ session_months {p.counts['session_months']:,}  {timings['sessions']:6.1f} s"
    )
    t = time.perf_counter()
    p.counts["exemptions"] = loader.load("exemptions", ps.exemption_rows(p))
    loader.finish()
    timings["finish"] = time.perf_counter() - t
    log(f"  exemptions, sequences, VACUUM ANALYZE  {timings['finish']:6.1f} s")
    t = time.perf_counter()
    closed = close_months(url, plan, p.month_list[: max(0, len(p.month_list) - plan.open_months)])
    timings["close_months"] = time.perf_counter() - t
    if closed:
        log(
            f"  closed {closed[0]}..{closed[-1]} for SX (the app's close_month)  "
            f"{timings['close_months']:6.1f} s"
        )
    t = time.perf_counter()
    written = fill_read_model(url, plan)
    timings["read_model"] = time.perf_counter() - t
    log(
        f"  read model (flask backfill-figures) {written:>10,} rows  {timings['read_model']:6.1f} s"
    )
    timings["total"] = time.perf_counter() - started
    log(f"seeded in {timings['total']:.1f} s")
    meta = _sidecar(url, plan, p, timings)
    RESULTS.mkdir(parents=True, exist_ok=True)
    sidecar_path(url).write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    return meta


def close_months(url: str, plan: Plan, months: list[str]) -> list[str]:
    """Close past months for the province with the app's own service (stores figures)."""
    if not months:
        return []
    from sqlalchemy import select, text

    from volunteer import create_app
    from volunteer.auth.models import User
    from volunteer.compliance.closing import close_month
    from volunteer.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "ID_ENCRYPTION_KEY": plan.id_key,
            "SECRET_KEY": "bench-secret-key",
        }
    )
    with app.app_context():
        actor = db.session.scalar(select(User).where(User.username == "sx_admin"))
        for month in months:
            close_month(actor, "SX", month)
        if url.startswith("postgres"):
            db.session.execute(text("ANALYZE month_figures"))
            db.session.commit()
        db.engine.dispose()
    return months


def fill_read_model(url: str, plan: Plan) -> int:
    """Fill student_month_figures from the loaded rows: COPY bypasses the app's writers
    and their receivers, as an existing database would (`flask backfill-figures`)."""
    from sqlalchemy import text

    from volunteer import create_app
    from volunteer.compliance.readmodel_verify import backfill
    from volunteer.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "ID_ENCRYPTION_KEY": plan.id_key,
            "SECRET_KEY": "bench-secret-key",
        }
    )
    with app.app_context():
        written = sum(backfill().values())
        if url.startswith("postgres"):
            db.session.execute(text("ANALYZE student_month_figures"))
            db.session.commit()
        db.engine.dispose()
    return written


def _sidecar(url: str, plan: Plan, p: Province, timings: dict) -> dict:
    pool = [
        {
            "student_id": sid,
            "username": f"s{sid:06d}",
            "enterprise_id": p.assigned[sid],
            "site_ids": p.enterprise_sites[p.assigned[sid]],
        }
        for sid in p.scan_range
    ]
    return {
        "url": url,
        "seeded_at": plan.now.isoformat(),
        "plan": {k: v for k, v in vars(plan).items() if k not in ("password_hash", "now")},
        "counts": p.counts,
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
        "months": p.month_list,
        "big_enterprise_id": p.big_id,
        "big_enterprise_staff": f"ent_{p.big_id}",
        "password": PASSWORD,
        "scan_pool": pool,
    }


def sidecar_path(url: str) -> Path:
    """Return where the sidecar of a bench database is written."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", url.rsplit("/", 1)[-1])
    return RESULTS / f"{name}.json"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", help="PostgreSQL database name on 127.0.0.1 (dropped and recreated)")
    where.add_argument("--database-url", help="any URL, e.g. sqlite:////tmp/bench.sqlite")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--sessions-min", type=int, default=4, help="sessions per student-month")
    parser.add_argument("--sessions-max", type=int, default=8)
    parser.add_argument("--enterprises", type=int, default=0, help="default students/50")
    parser.add_argument("--sites", type=int, default=2, help="sites per enterprise")
    parser.add_argument(
        "--scan-students",
        type=int,
        default=None,
        help="kiosk pool (internship agreements); default min(students/4, 3000)",
    )
    parser.add_argument("--scan-sites", type=int, default=6, help="sites per kiosk enterprise")
    parser.add_argument("--id-key", default=DEFAULT_ID_KEY, help="ID_ENCRYPTION_KEY of the app")
    parser.add_argument(
        "--open-months",
        type=int,
        default=2,
        help="months left open (the rest are closed for SX); default 2",
    )
    parser.add_argument("--random-seed", type=int, default=20261128)
    args = parser.parse_args(argv)
    url = pg_url(args.db) if args.db else args.database_url
    scan = args.scan_students if args.scan_students is not None else min(args.students // 4, 3000)
    plan = Plan(
        students=args.students,
        months=args.months,
        sessions_min=args.sessions_min,
        sessions_max=args.sessions_max,
        enterprises=args.enterprises,
        sites_per_enterprise=args.sites,
        scan_students=scan,
        scan_sites=args.scan_sites,
        seed=args.random_seed,
        id_key=args.id_key,
        open_months=args.open_months,
    )
    print(f"seeding {url}: {plan.students:,} students")
    seed(url, plan)


if __name__ == "__main__":
    main()
