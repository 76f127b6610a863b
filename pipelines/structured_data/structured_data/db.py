"""PostgreSQL access: the ``features`` and ``predictions`` tables, parameterized SQL only.

Connection parameters come from the Secrets Manager secret named by ``DB_SECRET_ARN``
(``{"host","port","username","password","dbname"}``). Column names come from the model and
are quoted with ``psycopg.sql.Identifier``; values are always bound parameters.
"""

from __future__ import annotations

import json
import select
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

CONNECT_TIMEOUT = 5
APPLICATION_NAME = "structured_data"
POOL_MAX_SIZE = 4
# A connection returned to the pool less than this long ago, with nothing to read on its
# socket, is handed out without a round trip to the server (see ``PostgresRepository``).
RECENT_S = 1.0


@dataclass(frozen=True)
class Prediction:
    id: str
    prediction: int
    label: str
    probabilities: dict[str, float]
    model_version: str
    latency_ms: float
    created_at: str


class Repository(Protocol):
    def features(self, record_id: str, columns: Sequence[str]) -> dict[str, float] | None: ...

    def record(self, prediction: Prediction) -> None: ...

    def unit(self) -> AbstractContextManager[object]:
        """The calls made inside share one connection (one request's queries)."""
        ...

    def warm(self) -> None:
        """Start opening what the first request would otherwise open, without waiting for it."""
        ...

    def close(self) -> None:
        """Release what :meth:`warm` and the requests opened (the service is stopping)."""
        ...


def _readable(conn: psycopg.Connection[Any]) -> bool:
    """Something (an error, a notice, the end of the stream) waits on an idle connection."""
    try:
        ready, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):  # closed: the round trip will say so
        return True
    return bool(ready)


def conninfo_from_secret(secret: dict[str, Any]) -> dict[str, Any]:
    missing = [k for k in ("host", "username", "dbname") if not secret.get(k)]
    if missing:
        raise ValueError(f"database secret lacks {missing}")
    return {
        "host": secret["host"],
        "port": int(secret.get("port") or 5432),
        "user": secret["username"],
        "password": secret.get("password") or None,
        "dbname": secret["dbname"],
        # "require" where the instance forces TLS (rds.force_ssl, on AWS and locally)
        "sslmode": secret.get("sslmode") or "prefer",
        "connect_timeout": CONNECT_TIMEOUT,
    }


def conninfo_from_secret_arn(arn: str) -> dict[str, Any]:
    from ml_common.aws import client

    value = client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    return conninfo_from_secret(json.loads(value))


def ensure_schema(conn: psycopg.Connection[Any], columns: Sequence[str]) -> None:
    """Create ``features`` (id, one column per feature, target, split) and ``predictions``."""
    feature_cols = sql.SQL(", ").join(
        sql.SQL("{} DOUBLE PRECISION NOT NULL").format(sql.Identifier(c)) for c in columns
    )
    conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS features (id TEXT PRIMARY KEY, {}, "
            "target SMALLINT, split TEXT)"
        ).format(feature_cols)
    )
    ensure_predictions(conn)


def ensure_predictions(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS predictions (pk BIGSERIAL PRIMARY KEY, id TEXT NOT NULL, "
        "prediction SMALLINT NOT NULL, label TEXT NOT NULL, probability DOUBLE PRECISION NOT NULL, "
        "model_version TEXT NOT NULL, latency_ms DOUBLE PRECISION NOT NULL, "
        "created_at TIMESTAMPTZ NOT NULL)"
    )


def upsert_features(
    conn: psycopg.Connection[Any], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert or update ``(id, *features, target, split)`` rows; returns how many were given."""
    names = ["id", *columns, "target", "split"]
    updates = sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(n)) for n in names[1:]
    )
    query = sql.SQL(
        "INSERT INTO features ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}"
    ).format(
        sql.SQL(", ").join(map(sql.Identifier, names)),
        sql.SQL(", ").join(sql.Placeholder() * len(names)),
        updates,
    )
    batch = [tuple(r) for r in rows]
    with conn.cursor() as cur:
        cur.executemany(query, batch)
    return len(batch)


class PostgresRepository:
    """The service's queries over a small connection pool (psycopg_pool).

    Each prediction reads its features and records its answer, on one connection (:meth:`unit`),
    in autocommit mode: the read and the insert are its two round trips. A new connection per
    call meant a TLS handshake and a new PostgreSQL backend twice per prediction, most of a
    prediction's cost under load; a checkout per query and a COMMIT after each doubled the round
    trips (docs/benchmarks.md, "Load"). The service opens the pool as it starts (:meth:`warm`),
    else its first use does (a one-off job using ``connect`` never opens it); it keeps one
    connection and grows to ``max_size``. When no connection can be had within the connect
    timeout the call raises ``PoolTimeout``, an ``OperationalError`` like a refused connect.

    Every connection is checked before it is handed out (:meth:`_check`), so after PostgreSQL
    restarts the dead ones are replaced without restarting the service. The check is a round
    trip (an empty query) unless the connection came back to the pool less than ``RECENT_S``
    ago and nothing is readable on its socket. A server that ended the session (a restart, an
    administrator's ``pg_terminate_backend``) sends its error and closes the socket, both of
    which make it readable, so such a connection still gets the round trip that finds it
    dead. Under load, connections come back within milliseconds: a third of the round trips
    per prediction are saved.
    """

    def __init__(self, conninfo: dict[str, Any], max_size: int = POOL_MAX_SIZE) -> None:
        self._conninfo = conninfo
        self._current: ContextVar[psycopg.Connection[Any] | None] = ContextVar(
            "structured_data_connection", default=None
        )
        self._returned: weakref.WeakKeyDictionary[psycopg.Connection[Any], float] = (
            weakref.WeakKeyDictionary()
        )
        self._pool = ConnectionPool(
            # each query is one statement: autocommit spares a COMMIT round trip per use; the
            # name shows the service's sessions in pg_stat_activity
            kwargs={"application_name": APPLICATION_NAME, **conninfo, "autocommit": True},
            min_size=1,
            max_size=max_size,
            open=False,
            check=self._check,
            timeout=float(conninfo.get("connect_timeout") or CONNECT_TIMEOUT),
            name="structured_data",
        )

    def connect(self) -> psycopg.Connection[Any]:
        """A connection of its own, outside the pool (one-off jobs, schema changes)."""
        return psycopg.connect(**self._conninfo)

    @contextmanager
    def pooled(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection in autocommit mode (each statement is its own transaction), the
        unit's own if one is open. The pool opens on the first call (``open`` is idempotent and
        takes the pool's lock)."""
        current = self._current.get()
        if current is not None:
            yield current
            return
        self._pool.open(wait=False)
        with self._pool.connection() as conn:
            token = self._current.set(conn)
            try:
                yield conn
            finally:
                self._current.reset(token)
                self._returned[conn] = time.monotonic()

    def _check(self, conn: psycopg.Connection[Any]) -> None:
        """The pool's check before a connection is handed out (see the class's doc)."""
        returned = self._returned.get(conn)
        if returned is None or time.monotonic() - returned >= RECENT_S or _readable(conn):
            ConnectionPool.check_connection(conn)

    def unit(self) -> AbstractContextManager[object]:
        """One checkout (and one check) for all the calls made inside, as for one prediction."""
        return self.pooled()

    def warm(self) -> None:
        """Open the pool now: its first connection (a TLS handshake and a new backend) is made
        in the pool's background, not in the first prediction. A database that is down does
        not stop the service from starting; requests then answer 503 until it is back."""
        self._pool.open(wait=False)

    def close(self) -> None:
        self._pool.close()

    def features(self, record_id: str, columns: Sequence[str]) -> dict[str, float] | None:
        query = sql.SQL("SELECT {} FROM features WHERE id = %s").format(
            sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with self.pooled() as conn:
            row = conn.execute(query, (record_id,)).fetchone()
        return None if row is None else dict(zip(columns, row, strict=True))

    def record(self, p: Prediction) -> None:
        with self.pooled() as conn:
            conn.execute(
                "INSERT INTO predictions (id, prediction, label, probability, model_version, "
                "latency_ms, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (
                    p.id,
                    p.prediction,
                    p.label,
                    p.probabilities[p.label],
                    p.model_version,
                    p.latency_ms,
                    p.created_at,
                ),
            )

    def ensure_predictions(self) -> None:
        with self.connect() as conn:
            ensure_predictions(conn)
