"""Memory of the web process during a 60 MiB owner upload, measured on a live ASGI server.

Creates a fresh PostgreSQL database (``arena_upload_bench`` unless BENCH_DATABASE_URL says
otherwise), an owner and its ``submit`` key, starts uvicorn (the ASGI server the deployment's
gunicorn workers run) on 127.0.0.1, then posts two uploads of about 60 MiB each:

- ``answers``: 300 prompts and 300 answers of ~100,000 characters (one emoji each, so every
  text is stored four bytes a character in Python: the worst case), within the caps: accepted;
- ``prompts``: about 600,000 short prompts, the shape of the issue's 632,771-prompt upload:
  refused (422) at the per-upload cap, with nothing recorded.

For each it reads the server's ``VmRSS`` before and ``VmHWM`` (peak resident memory) after
from ``/proc/<pid>/status`` (the peak is reset between uploads through
``/proc/<pid>/clear_refs``), and prints the growth: the peak during the upload minus the
resident size before it. The issue's bound is 200 MB.

    make bench-upload          # or: .venv/bin/python bench/upload_memory.py --help
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from ports import free_port, wait_for_port  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/arena_upload_bench"
MIB = 1024 * 1024
WORDS = [
    "the",
    "model",
    "answers",
    "each",
    "question",
    "with",
    "care",
    "and",
    "some",
    "detail",
    "about",
    "data",
]


def database_create(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(url: str) -> str:
    """Migrate, then an owner with a submit key for the default arena; returns the key."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from arena.models import User
    from arena.services.api_keys import api_key_create
    from arena.services.arenas import arena_ensure_default

    arena_ensure_default()
    owner = User.objects.create_user("bench-owner")
    return api_key_create(name="bench", scopes=["submit"], user=owner)[1]


def server_start(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "REDIS_URL": "",
    }
    command = [
        str(Path(sys.executable).parent / "uvicorn"),
        "config.asgi:application",
        "--host=127.0.0.1",
        f"--port={port}",
        "--log-level=warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    wait_for_port(port)
    return process


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def text(rng: random.Random, n_chars: int) -> str:
    words = []
    size = 0
    while size < n_chars:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    return "🙂 " + " ".join(words)[:n_chars]


def answers_file(path: Path, target: int, rng: random.Random) -> None:
    n = target // (2 * 100_000)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            prompt = {"question_id": f"q{i}", "prompt": f"{i} " + text(rng, 100_000)}
            handle.write(json.dumps(prompt, ensure_ascii=False) + "\n")
        for i in range(n):
            answer = {"model": "bench-llm", "question_id": f"q{i}", "answer": text(rng, 100_000)}
            handle.write(json.dumps(answer, ensure_ascii=False) + "\n")


def prompts_file(path: Path, target: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        size, i = 0, 0
        while size < target - 200:
            line = json.dumps({"question_id": f"p{i}", "prompt": f"Prompt number {i}?"}) + "\n"
            handle.write(line)
            size += len(line)
            i += 1


def upload(port: int, key: str, path: Path, pid: int) -> tuple[int, str, float, int, int]:
    """Post the file; (status, code, seconds, RSS before in KiB, peak after in KiB)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = status_kib(pid, "VmRSS")
    started = time.monotonic()
    with path.open("rb") as body:
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/submissions",
            content=body,
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/x-ndjson",
                "Content-Length": str(path.stat().st_size),
            },
            timeout=600,
        )
    seconds = time.monotonic() - started
    peak = status_kib(pid, "VmHWM")
    code = response.json().get("code", "") if response.status_code >= 400 else "created"
    return response.status_code, code, seconds, before, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=float, default=60.0, help="each upload's size")
    parser.add_argument("--port", type=int, default=0, help="the server's port (0: any free)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    database_create(url)
    key = seed(url)
    port = args.port or free_port()
    server = server_start(url, port)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            warm = Path(tmp) / "warm.jsonl"
            warm.write_text(json.dumps({"question_id": "w", "prompt": "Warm up?"}) + "\n")
            upload(port, key, warm, server.pid)
            rng = random.Random(7)
            target = int(args.size_mib * MIB)
            files = {"answers": Path(tmp) / "answers.jsonl", "prompts": Path(tmp) / "prompts.jsonl"}
            answers_file(files["answers"], target, rng)
            prompts_file(files["prompts"], target)
            print(f"{'upload':<8} {'MiB':>6} {'status':>6} {'code':<20} {'s':>6} {'growth MB':>10}")
            for name, path in files.items():
                status, code, seconds, before, peak = upload(port, key, path, server.pid)
                growth = (peak - before) * 1024 / 1e6
                mib = path.stat().st_size / MIB
                print(f"{name:<8} {mib:6.1f} {status:>6} {code:<20} {seconds:6.1f} {growth:10.1f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
