"""Rating jobs read the votes from a real streaming replica, and a lagging one skips no vote.

A PostgreSQL primary of the test's own (``initdb``) and a hot standby made from it with
``pg_basebackup -R`` on another port; the LLMFAO votes are imported into the primary. With the
standby's replay paused, the primary's votes are changed (every outcome flipped) and new ones
added: a job that reads the standby rates the votes as they were, records the watermark of
the rows it read (not the primary's), and a board catches up once replay resumes. The standby
refuses every write, so jobs that finish prove their writes went to the primary.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bench.ports import free_port
from ratings import engine
from ratings.core.types import Comparisons
from ratings.engine.votefile import read_comparisons
from tests.ratings.conftest import SHARED_DATA

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.longest,
]  # two PostgreSQL servers and manage.py processes of its own

ROOT = Path(__file__).resolve().parents[2]
VOTES = SHARED_DATA / "llmfao/votes.jsonl"


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; run its tools as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Postgres:
    """A throwaway PostgreSQL server on a free port (trust authentication, loopback only)."""

    def __init__(self, tmp: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are missing")
        self.bin, self.tmp, self.port = Path(found[-1]).parent, tmp, free_port()
        self.data = tmp / "pgdata"
        tmp.mkdir()
        if os.geteuid() == 0:
            shutil.chown(tmp, user="postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/arena"

    def run(self, tool: str, *args: str) -> None:
        subprocess.run(_as_postgres([str(self.bin / tool), *args]), check=True, capture_output=True)

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "arena")

    def start(self, *settings: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.tmp} -c fsync=off"
        options += "".join(f" -c {setting}" for setting in settings)
        log = str(self.tmp / "postgres.log")
        self.run("pg_ctl", "-D", str(self.data), "-w", "-l", log, "-o", options, "start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.run("pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop")


class Replicated:
    """A primary and its streaming standby, both on free ports under ``tmp``."""

    def __init__(self, tmp: Path) -> None:
        self.primary = Postgres(tmp / "primary")
        self.standby = Postgres(tmp / "standby")

    def start(self) -> None:
        self.primary.init()
        self.primary.run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"),
            *("-D", str(self.standby.data), "-R", "-X", "stream", "--no-sync"),
            "--checkpoint=fast",  # not spread over minutes: the primary is all but empty
        )
        # As docs/deploying.md advises: replay never cancels a job's read on the standby.
        self.standby.start("hot_standby_feedback=on", "max_standby_streaming_delay=-1")

    def stop(self) -> None:
        self.standby.stop()
        self.primary.stop()

    def sql(self, node: Postgres, statement: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(node.url, autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def caught_up(self, timeout: float = 30.0) -> None:
        """Wait until the standby has replayed everything the primary wrote so far."""
        (target,) = self.sql(self.primary, "SELECT pg_current_wal_lsn()::text")[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            query = f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
            if self.sql(self.standby, query)[0][0]:
                return
            time.sleep(0.1)
        raise AssertionError("the standby did not catch up")

    def env(self, *, replica: bool) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.primary.url,
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": "",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("DATABASE_REPLICA_URL", None)
        if replica:
            env["DATABASE_REPLICA_URL"] = self.standby.url
        return env

    def manage(self, *args: str, replica: bool = True) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            check=False,
            cwd=ROOT,
            env=self.env(replica=replica),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


@pytest.fixture(scope="module")
def cluster() -> Iterator[Replicated]:
    if not VOTES.is_file():
        pytest.skip(f"shared data not found at {VOTES}")
    # Not under pytest's temporary directory: the postgres user cannot enter root's.
    tmp = Path(tempfile.mkdtemp(prefix="arena-replica-"))
    if os.geteuid() == 0:
        shutil.chown(tmp, user="postgres")
    nodes = Replicated(tmp)
    try:
        nodes.start()
        nodes.manage("migrate", "--no-input", "-v", "0", replica=False)
        nodes.manage("import_votes", str(VOTES), "--no-progress", replica=False)
        nodes.caught_up()
        yield nodes
    finally:
        nodes.stop()
        for node in (nodes.primary, nodes.standby):  # shown by pytest when a test failed
            log = node.tmp / "postgres.log"
            print(log, log.read_text()[-3000:] if log.exists() else "(none)")
        shutil.rmtree(tmp, ignore_errors=True)


def _runs(nodes: Replicated) -> list[tuple[int, str, int | None, dict[str, Any] | None]]:
    """The all board's Bradley-Terry runs on the primary: watermark, status, votes, report."""
    rows = nodes.sql(
        nodes.primary,
        "SELECT r.watermark, r.status, r.n_votes, r.result FROM ratings_ratingrun r "
        "JOIN ratings_leaderboard l ON l.id = r.leaderboard_id "
        "WHERE l.slug = 'all' AND r.method = 'bt' ORDER BY r.id",
    )
    return [(w, s, n, result) for w, s, n, result in rows]


def _votes(nodes: Replicated, node: Postgres, upto: int) -> Comparisons:
    """A node's votes up to a vote id, read with plain SQL (not the job's read path)."""
    rows = nodes.sql(
        node,
        "SELECT ca.name, cb.name, v.outcome FROM arena_vote v "  # noqa: S608 (an integer)
        "JOIN arena_battle b ON b.id = v.battle_id "
        "JOIN arena_competitor ca ON ca.id = b.competitor_a_id "
        "JOIN arena_competitor cb ON cb.id = b.competitor_b_id "
        f"WHERE v.id <= {int(upto)} ORDER BY v.id",
    )
    names = sorted({r[0] for r in rows} | {r[1] for r in rows})
    return Comparisons.from_labels(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], names=names
    )


def _ratings(report: dict[str, Any] | None) -> dict[str, float]:
    assert report is not None
    return {row["name"]: row["rating"] for row in report["competitors"]}


def _assert_fit_of(report: dict[str, Any] | None, votes: Comparisons) -> None:
    """The run's ratings are the engine's Bradley-Terry fit of exactly these votes."""
    mine = _ratings(report)
    theirs = _ratings(engine.rate(votes, "bt", engine.method_options("bt", {})))
    assert mine.keys() == theirs.keys()
    for name, rating in theirs.items():
        assert mine[name] == pytest.approx(rating, abs=1e-6), name


def _newest_vote(nodes: Replicated, node: Postgres) -> int:
    return int(nodes.sql(node, "SELECT max(id) FROM arena_vote")[0][0])


def _recompute(nodes: Replicated) -> None:
    nodes.manage("recompute", "--scope", "all", "--method", "bt", "--no-progress")


def test_jobs_read_the_replica_and_wait_for_the_votes_it_lacks(
    cluster: Replicated, tmp_path: Path
) -> None:
    nodes = cluster
    first = _newest_vote(nodes, nodes.primary)
    imported = _votes(nodes, nodes.primary, first)
    assert imported.n_comparisons == read_comparisons(VOTES).n_comparisons

    # The standby stops replaying: from here it holds the votes as they were imported, while
    # the primary's outcomes are flipped and new votes come in.
    nodes.sql(nodes.standby, "SELECT pg_wal_replay_pause()")
    nodes.sql(
        nodes.primary,
        "UPDATE arena_vote SET outcome = CASE outcome WHEN 1 THEN 2 WHEN 2 THEN 1 ELSE outcome END",
    )
    added = 40
    more = tmp_path / "more.jsonl"
    with VOTES.open() as lines, more.open("w") as out:
        for k, line in zip(range(added), lines, strict=False):
            vote = json.loads(line) | {"winner": "model_a", "judge": f"crowd:replica-{k}"}
            out.write(json.dumps(vote) + "\n")
    nodes.manage("import_votes", str(more), "--no-progress", replica=False)
    latest = _newest_vote(nodes, nodes.primary)
    assert latest > first
    assert _newest_vote(nodes, nodes.standby) == first

    _recompute(nodes)
    runs = _runs(nodes)
    # Recorded at the replica's newest vote, with the replica's votes: the file as imported,
    # not the primary's flipped outcomes (whose fit differs).
    assert [(w, s, n) for w, s, n, _ in runs] == [(first, "done", imported.n_comparisons)]
    _assert_fit_of(runs[0][3], imported)
    flipped_now = _votes(nodes, nodes.primary, first)
    assert _ratings(runs[0][3]) != pytest.approx(
        _ratings(engine.rate(flipped_now, "bt", engine.method_options("bt", {})))
    )

    # Still lagging: the run the check queues again at the primary's watermark adds nothing,
    # and is dropped rather than recorded as covering votes it never read.
    _recompute(nodes)
    assert [(w, s) for w, s, _, _ in _runs(nodes)] == [(first, "done")]

    # Replay resumes: the board catches up with every vote, flipped and new.
    nodes.sql(nodes.standby, "SELECT pg_wal_replay_resume()")
    nodes.caught_up()
    _recompute(nodes)
    runs = _runs(nodes)
    assert [(w, s) for w, s, _, _ in runs] == [(first, "done"), (latest, "done")]
    assert runs[1][2] == imported.n_comparisons + added
    _assert_fit_of(runs[1][3], _votes(nodes, nodes.primary, latest))


def test_the_standby_refuses_writes(cluster: Replicated) -> None:
    """What makes the test above a proof that the jobs wrote to the primary only."""
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        cluster.sql(cluster.standby, "UPDATE ratings_ratingrun SET n_votes = 0")
