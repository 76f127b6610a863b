"""The structured-data service against a real PostgreSQL (pgserver) and the real model."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from structured_data import db
from structured_data.features import load_dataset
from structured_data.model import Classifier
from structured_data.train import train

pytestmark = pytest.mark.slow  # trains the model, starts PostgreSQL


@pytest.fixture(scope="module")
def trained() -> Any:
    return train()


@pytest.fixture(scope="module")
def postgres(pg_secret: dict[str, Any]) -> dict[str, Any]:
    info = db.conninfo_from_secret(pg_secret)
    data = load_dataset()
    with psycopg.connect(**info) as conn:
        db.ensure_schema(conn, data.columns)
        rows = [
            (rid, *map(float, x), int(t), "test" if m else "train")
            for rid, x, t, m in zip(data.ids, data.X, data.y, data.test_mask, strict=True)
        ]
        db.upsert_features(conn, data.columns, rows)
    return {"secret": pg_secret, "info": info}


@pytest.fixture
def client(postgres: dict[str, Any], trained: Any) -> Iterator[TestClient]:
    from structured_data.app import create_app

    repo = db.PostgresRepository(postgres["info"])
    app = create_app(repo, Classifier.from_json(trained.model_bytes), "v-test")
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c
    finally:
        repo.close()  # the pool opened at start-up; left to the garbage collector, its
        # finalizer may run on the pool's own worker thread and fail to join it


def _count_predictions(info: dict[str, Any]) -> int:
    with psycopg.connect(**info) as conn:
        row = conn.execute("SELECT count(*) FROM predictions").fetchone()
    return int(row[0]) if row else 0


def test_predict_known_id_is_stored(client: TestClient, postgres: dict[str, Any]) -> None:
    before = _count_predictions(postgres["info"])
    resp = client.post("/predict", json={"id": "1789"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["id"] == "1789" and body["model_version"] == "v-test"
    assert body["label"] in ("malignant", "benign")
    assert body["prediction"] == ["malignant", "benign"].index(body["label"])
    assert abs(sum(body["probabilities"].values()) - 1.0) < 1e-9
    assert body["latency_ms"] >= 0
    assert _count_predictions(postgres["info"]) == before + 1
    with psycopg.connect(**postgres["info"]) as conn:
        row = conn.execute(
            "SELECT id, model_version, label FROM predictions ORDER BY pk DESC LIMIT 1"
        ).fetchone()
    assert row == ("1789", "v-test", body["label"])


def test_prediction_matches_ground_truth_for_most_ids(client: TestClient) -> None:
    data = load_dataset()
    hits = 0
    for i in range(0, len(data.ids), 40):
        body = client.post("/predict", json={"id": data.ids[i]}).json()
        hits += body["prediction"] == int(data.y[i])
    assert hits >= 14  # 15 records checked, the model is ~98% accurate


def test_unknown_id_is_404_and_not_stored(client: TestClient, postgres: dict[str, Any]) -> None:
    before = _count_predictions(postgres["info"])
    resp = client.post("/predict", json={"id": "999999"})
    assert resp.status_code == 404
    assert "999999" in resp.json()["message"]
    assert _count_predictions(postgres["info"]) == before


@pytest.mark.parametrize(
    "payload",
    [
        {"id": 1789},
        {"id": ""},
        {"id": None},
        {},
        {"id": "1789", "extra": 1},
        {"id": "1' OR '1'='1"},
        {"id": "1789; DROP TABLE features;--"},
        {"id": "x" * 65},
        {"id": ["1789"]},
        ["1789"],
    ],
)
def test_malformed_bodies_are_422(
    client: TestClient, postgres: dict[str, Any], payload: Any
) -> None:
    before = _count_predictions(postgres["info"])
    resp = client.post("/predict", json=payload)
    assert resp.status_code == 422, resp.text
    assert "message" in resp.json()
    assert _count_predictions(postgres["info"]) == before


def test_invalid_json_and_oversized_bodies(client: TestClient) -> None:
    resp = client.post(
        "/predict", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert resp.status_code == 422 and "message" in resp.json()
    resp = client.post("/predict", content=json.dumps({"id": "1" * 10_000}))
    assert resp.status_code == 413 and "message" in resp.json()


def test_features_table_survives_injection_attempts(postgres: dict[str, Any]) -> None:
    repo = db.PostgresRepository(postgres["info"])
    cols = load_dataset().columns
    try:
        assert repo.features("1500' OR '1'='1", cols) is None
        assert repo.features("1500", cols) is not None
    finally:
        repo.close()


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "model_version": "v-test"}


def test_main_wires_secret_model_and_database(
    aws: dict[str, Any], postgres: dict[str, Any], trained: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from ml_common.model_store import save_model
    from structured_data import main

    arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="db", SecretString=json.dumps(postgres["secret"])
    )["ARN"]
    monkeypatch.setenv("DB_SECRET_ARN", arn)
    version = save_model(
        aws["MODELS_BUCKET"],
        "structured_data",
        trained.model_bytes,
        trained.metrics,
        trained.data_hash,
        "test",
        trained.params,
        ext="json",
        stage="prod",
    )
    app: Any = main.build_app()
    assert not _watchers(), "the watcher starts with the app, not when it is built"
    with TestClient(app) as c:
        assert c.get("/health").json()["model_version"] == version
        assert c.post("/predict", json={"id": "1500"}).json()["model_version"] == version
        assert len(_watchers()) == 1
    assert not _watchers(), "the watcher outlived the app (it would poll S3 after shutdown)"


def test_main_without_a_model_exits_before_the_heavy_imports(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task restarted with back-off while the stage has no model pays a boto3 call, not the
    import of scikit-learn and FastAPI (~1.5 s of CPU each time)."""
    import sys

    from ml_common.errors import ModelNotFound
    from structured_data import main

    monkeypatch.setenv("DB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:000000000000:secret:db")
    for heavy in ("structured_data.app", "structured_data.serving", "sklearn", "fastapi"):
        monkeypatch.setitem(sys.modules, heavy, None)  # importing one now is an ImportError
    with pytest.raises(ModelNotFound, match="no 'prod' version"):
        main.build_app()


def test_main_serves_with_one_log_line_per_prediction(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app logs each prediction; uvicorn's access line would be a second one."""
    import uvicorn

    from structured_data import main

    served: dict[str, Any] = {}
    monkeypatch.setattr(main, "build_app", lambda: "app")
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(options, app=app))
    main.main()
    assert served["app"] == "app"
    assert served["access_log"] is False, "uvicorn writes an access line for every prediction"


def _watchers() -> list[Any]:
    import threading

    return [t for t in threading.enumerate() if t.name == "model-watcher" and t.is_alive()]


def test_dockerfile_is_exec_form_and_non_root() -> None:
    text = (
        Path(__file__).resolve().parents[3] / "pipelines/structured_data/Dockerfile"
    ).read_text()
    assert 'CMD ["python", "-m", "structured_data.main"]' in text
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0"), (
        f"the image must end as a non-root user: {users}"
    )
    assert "HEALTHCHECK" in text
    assert "COPY pipelines/common/ml_common /app/ml_common" in text


def test_unknown_route_and_method_are_json(client: TestClient) -> None:
    resp = client.get("/nope")
    assert resp.status_code == 404 and resp.json() == {"message": "Not Found"}
    resp = client.get("/predict")
    assert resp.status_code == 405 and "message" in resp.json()


def test_database_down_is_503_json(trained: Any) -> None:
    from structured_data.app import create_app

    down = db.PostgresRepository(
        {"host": "127.0.0.1", "port": 1, "user": "x", "dbname": "x", "connect_timeout": 1}
    )
    app = create_app(down, Classifier.from_json(trained.model_bytes), "v-test")
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            resp = c.post("/predict", json={"id": "1789"})
    finally:
        down.close()  # its pool, opened at start-up, stops retrying
    assert resp.status_code == 503 and "unavailable" in resp.json()["message"]


def _sessions(info: dict[str, Any]) -> int:
    """Sessions PostgreSQL has opened on this database so far (its own counter)."""
    with psycopg.connect(**info) as conn:
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


def test_predictions_reuse_pooled_connections(postgres: dict[str, Any], trained: Any) -> None:
    """Twenty predictions read features and record twice each; without the pool that is forty new
    sessions (a TLS handshake and a backend each), with it at most the pool's size."""
    from structured_data.app import create_app

    repo = db.PostgresRepository(postgres["info"], max_size=2)
    app = create_app(repo, Classifier.from_json(trained.model_bytes), "v-test")
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            c.post("/predict", json={"id": "1789"})  # the pool's first connection is ready
            before = _sessions(postgres["info"])
            for _ in range(20):
                assert c.post("/predict", json={"id": "1789"}).status_code == 200
            opened = _sessions(postgres["info"]) - before - 1  # minus _sessions' own
    finally:
        repo.close()
    assert opened <= 2, f"{opened} new sessions for 20 predictions: connections are not reused"


def test_before_its_first_request_the_service_connects_and_runs_its_model_once(
    postgres: dict[str, Any], trained: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the first prediction after a deploy paid (~80 ms more than the next ones) is done
    at start-up: the pool connects in the background and the model predicts once, recording
    nothing."""
    from structured_data.app import create_app

    ran: list[dict[str, float]] = []
    predict_one = Classifier.predict_one

    def counted(self: Classifier, features: dict[str, float]) -> tuple[int, dict[str, float]]:
        ran.append(features)
        return predict_one(self, features)

    monkeypatch.setattr(Classifier, "predict_one", counted)
    repo = db.PostgresRepository(postgres["info"], max_size=2)
    app = create_app(repo, Classifier.from_json(trained.model_bytes), "v-test")
    recorded = _count_predictions(postgres["info"])
    try:
        with TestClient(app, raise_server_exceptions=False):
            deadline, sessions = time.monotonic() + 10, 0
            while not sessions and time.monotonic() < deadline:
                sessions = _service_sessions(postgres["info"])
                time.sleep(0.05)
            assert sessions >= 1, "no pooled connection before the first request"
            assert len(ran) == 1, f"{len(ran)} model passes at start-up, not one"
    finally:
        repo.close()
    assert _count_predictions(postgres["info"]) == recorded, "the warm-up recorded a prediction"


def test_a_stopping_service_ends_its_database_sessions(
    postgres: dict[str, Any], trained: Any
) -> None:
    from structured_data.app import create_app

    repo = db.PostgresRepository(postgres["info"], max_size=2)
    app = create_app(repo, Classifier.from_json(trained.model_bytes), "v-test")
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            assert c.post("/predict", json={"id": "1789"}).status_code == 200
            assert _service_sessions(postgres["info"]) >= 1
        deadline = time.monotonic() + 5
        while (left := _service_sessions(postgres["info"])) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert left == 0, f"{left} database sessions outlived the service's shutdown"
    finally:
        repo.close()


def _service_sessions(info: dict[str, Any]) -> int:
    with psycopg.connect(**info) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (db.APPLICATION_NAME,),
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_prediction_is_one_checkout_without_a_commit_round_trip(
    postgres: dict[str, Any], trained: Any
) -> None:
    """Two round trips per prediction (the read, the insert; the pool's check is free for a
    connection just returned): the read and the insert share the request's connection, in
    autocommit. With a pool of one connection, a second checkout inside the request would wait
    out the pool timeout (PoolTimeout: 503)."""
    from structured_data.app import create_app

    repo = db.PostgresRepository({**postgres["info"], "connect_timeout": 1}, max_size=1)
    app = create_app(repo, Classifier.from_json(trained.model_bytes), "v-test")
    statements: list[str] = []
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            assert c.post("/predict", json={"id": "1789"}).status_code == 200
            with repo.pooled() as conn:
                assert conn.autocommit
                statements.append(conn.info.transaction_status.name)
            with repo.unit(), repo.pooled() as a, repo.pooled() as b:
                assert a is b  # nested uses share the unit's connection
            assert c.post("/predict", json={"id": "1789"}).status_code == 200
    finally:
        repo.close()
    assert statements == ["IDLE"]  # no transaction left open: nothing to COMMIT


def test_pooled_connections_killed_by_the_server_are_replaced(
    postgres: dict[str, Any], trained: Any
) -> None:
    """PostgreSQL restarting ends every session; the next prediction must still answer, on a new
    connection, without the service restarting."""
    from structured_data.app import create_app

    repo = db.PostgresRepository(postgres["info"])
    app = create_app(repo, Classifier.from_json(trained.model_bytes), "v-test")
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            assert c.post("/predict", json={"id": "1789"}).status_code == 200
            with psycopg.connect(**postgres["info"], autocommit=True) as conn:
                ended = conn.execute(  # each returns once its backend has exited (5 s at most)
                    "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'"
                ).fetchone()
            assert ended and ended[0] >= 1, "the pool held no connection to end"
            resp = c.post("/predict", json={"id": "1789"})
    finally:
        repo.close()
    assert resp.status_code == 200, resp.text


def test_a_connection_just_returned_is_handed_out_without_a_round_trip(
    postgres: dict[str, Any], trained: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load a connection comes back to the pool and goes out again within milliseconds:
    its check is a look at its socket, not an empty query to the server. One idle for
    ``RECENT_S`` gets the round trip again."""
    from psycopg_pool import ConnectionPool

    from structured_data.app import create_app

    round_trips: list[object] = []
    check = ConnectionPool.check_connection

    def counted(conn: Any) -> None:
        round_trips.append(conn)
        check(conn)

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(counted))
    monkeypatch.setattr(db, "RECENT_S", 0.3)
    repo = db.PostgresRepository(postgres["info"], max_size=1)
    app = create_app(repo, Classifier.from_json(trained.model_bytes), "v-test")
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            for _ in range(10):
                assert c.post("/predict", json={"id": "1789"}).status_code == 200
            in_a_row = len(round_trips)
            time.sleep(0.4)
            assert c.post("/predict", json={"id": "1789"}).status_code == 200
            after_idle = len(round_trips) - in_a_row
    finally:
        repo.close()
    assert in_a_row == 1, f"{in_a_row} check round trips for 10 predictions in a row, not 1"
    assert after_idle == 1, "a connection idle past RECENT_S was handed out unchecked"
