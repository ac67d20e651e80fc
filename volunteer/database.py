"""Engine setup: SQLite pragmas and write locks that behave like PostgreSQL's."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.types import TypeDecorator

from .errors import N_, Conflict
from .extensions import db

F = TypeVar("F", bound=Callable[..., Any])


def configure_engine(app: Flask) -> None:
    """Enforce foreign keys, WAL and a busy timeout on SQLite; BEGIN IMMEDIATE for writes."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name != "sqlite":
            return

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide when transactions begin.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            if ":memory:" not in str(engine.url):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # Every transaction takes the write lock up front, so that a check and the
            # write it guards cannot interleave with another request's (R6, scans).
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def lock_rows(*objs: Any) -> None:
    """Lock rows for the rest of the transaction (SELECT … FOR UPDATE on PostgreSQL)."""
    from sqlalchemy import select

    if db.session.get_bind().dialect.name == "sqlite":
        return  # BEGIN IMMEDIATE already serialises writers.
    for obj in objs:
        mapper = type(obj).__mapper__
        pk = mapper.primary_key[0]
        db.session.execute(select(pk).where(pk == getattr(obj, pk.key)).with_for_update())


def ping() -> None:
    """Run a trivial query: the health check's proof that the database answers."""
    from sqlalchemy import text

    db.session.execute(text("SELECT 1"))


def plain_rows(stmt: Any) -> list[tuple]:
    """Run a big read of plain columns and return its rows as tuples.

    On PostgreSQL, psycopg already returns native Python values (int, str, date, bool),
    so the rows are taken straight from the driver's cursor: SQLAlchemy's Row objects
    cost ~2 µs each, the largest part of reading a province's students and agreements
    (bench/README.md). The statement still runs through SQLAlchemy (events, statement
    counts). Elsewhere (SQLite keeps dates as text) SQLAlchemy converts them as usual.
    Only for columns and parameters without a TypeDecorator (refused: TypeError).
    """
    if any(isinstance(c.type, TypeDecorator) for c in stmt.selected_columns):
        raise TypeError("plain_rows cannot convert a TypeDecorator column")
    db.session.flush()
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        return conn.execute(stmt).all()
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    if any(isinstance(b.type, TypeDecorator) for b in compiled.binds.values()):
        raise TypeError("plain_rows cannot convert a TypeDecorator parameter")
    result = conn.exec_driver_sql(compiled.string, compiled.params)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def race_safe(fn: F) -> F:
    """Turn a lost race (deadlock, lock timeout, busy database) into 409 conflict."""

    @wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OperationalError as exc:
            db.session.rollback()
            raise Conflict("conflict", N_("操作与其他请求同时发生，请重试。")) from exc

    return wrapped  # type: ignore[return-value]
