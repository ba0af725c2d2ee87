"""Benchmark of own-prompt battles: many voters at once, both answers streaming to each.

Starts a Redis and the web server of its own on a fresh PostgreSQL database
(``arena_live_bench`` unless BENCH_DATABASE_URL says otherwise): gunicorn with its uvicorn
workers and ``deploy/gunicorn.conf.py``, as ``deploy/run.sh web`` deploys the site
(``--server daphne``: the one Daphne process the end-to-end tests run instead). The local
OpenAI-compatible test server (``tests/endpoint_server.py``) runs in a process of its own,
answering with a set first-token delay and token rate. Then, in the same run:

1. **the endpoint's own figures** (the baseline): as many streams as the battles will open
   (two per battle), straight to the endpoint with the ``openai`` client: the time from the
   request to the first token;
2. **the live battles**: that many browser-side websocket clients at once, each with its own
   session (the live page's cookie), send a prompt and time, per answer, the first token
   frame after the prompt left; they count every token frame against the scripted answer,
   then vote once both answers are in.

It prints both medians and their difference (the target: within 50 ms), the tokens lost
(must be 0: counted at the client and in the stored answers), the votes counted, the memory
per open battle (the web server's resident memory, its workers included, at the peak of the
run, less its memory before it, over the battles) and the CPU each process used. Exit status 0
only when no token was lost, every vote was counted and the median overhead is within the
target.

    make bench-live          # or: .venv/bin/python bench/live_battles.py --help
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import database_create, django_setup  # noqa: E402 (bench/ is on sys.path)
from ports import wait_for_port  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/arena_live_bench"
TARGET_MS = 50.0


def answer_text(tokens: int, prompt: str) -> str:
    return " ".join([f"re:{prompt.rsplit(maxsplit=1)[-1]}", *(f"t{k}" for k in range(tokens - 1))])


def serve(args: argparse.Namespace) -> None:
    """The endpoint server's process: prints its URL, serves until stdin closes."""
    sys.path.insert(0, str(ROOT))
    from tests.endpoint_server import EndpointServer, Reply, last_user_message

    def script(body: dict[str, Any]) -> Reply:
        text = answer_text(args.tokens, last_user_message(body))
        return Reply(text=text, delay=args.first_token_ms / 1e3, piece_delay=1 / args.token_rate)

    server = EndpointServer(script)
    server.start()
    print(server.url, flush=True)
    sys.stdin.read()
    server.stop()


def tree(pid: int) -> list[int]:
    """The process and its descendants (gunicorn's workers under its master)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            queue += [int(child) for child in task.read_text().split()]
    return found


def cpu_seconds(pid: int, *, descendants: bool = True) -> float:
    """User and system CPU time so far of a process and its descendants (``/proc/*/stat``)."""
    total = 0
    for member in tree(pid) if descendants else [pid]:
        fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its descendants."""
    total = 0
    for member in tree(pid):
        for line in Path(f"/proc/{member}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


class Sampler(threading.Thread):
    """Daphne's resident memory every 50 ms; the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.05)


async def endpoint_first_tokens(url: str, n: int, prompt_of: Any, gap: float) -> list[float]:
    """The endpoint's own time to first token of ``n`` streams, two started every ``gap``
    seconds as the battles are (ms)."""
    from openai import AsyncOpenAI

    async with AsyncOpenAI(base_url=url, api_key="none", max_retries=0, timeout=120) as client:

        async def one(k: int) -> float:
            await asyncio.sleep(gap * (k // 2))
            started = time.perf_counter()
            stream = await client.chat.completions.create(
                model="bench", messages=[{"role": "user", "content": prompt_of(k)}], stream=True
            )
            first = None
            async for chunk in stream:
                if first is None and chunk.choices and chunk.choices[0].delta.content:
                    first = time.perf_counter()
            assert first is not None
            return (first - started) * 1e3

        return list(await asyncio.gather(*(one(k) for k in range(n))))


OPEN: list[int] = [0, 0]  # battles open now, the most at once


async def battle(site: str, k: int, expected_pieces: int, delay: float = 0.0) -> dict[str, Any]:
    """One voter: open the page (session), wait ``delay``, send a prompt, time and count
    the answers' tokens, vote once both are in."""
    import httpx
    import websockets

    async with httpx.AsyncClient() as http:
        page = await http.get(f"{site}/a/bench/live/")
        page.raise_for_status()
        cookie = f"sessionid={http.cookies['sessionid']}"
    ws_url = site.replace("http://", "ws://") + "/ws/a/bench/live/"
    headers = {"Cookie": cookie}
    async with websockets.connect(
        ws_url, origin=site, additional_headers=headers, max_size=None
    ) as ws:
        prompt = f"Question number {k}"
        await asyncio.sleep(delay)
        OPEN[0] += 1
        OPEN[1] = max(OPEN)
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "prompt", "text": prompt}))
        first: dict[str, float] = {}
        pieces: dict[str, list[str]] = {"a": [], "b": []}
        public_id = ""
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 120))
            kind = frame["type"]
            if kind == "battle":
                public_id = frame["battle"]
            elif kind == "delta":
                first.setdefault(frame["side"], time.perf_counter())
                pieces[frame["side"]].append(frame["text"])
            elif kind == "ready":
                break
            elif kind in {"void", "error"}:
                raise RuntimeError(f"battle {k}: {frame}")
        await ws.send(json.dumps({"type": "vote", "battle": public_id, "outcome": "TIE"}))
        while json.loads(await asyncio.wait_for(ws.recv(), 60))["type"] != "voted":
            pass
        OPEN[0] -= 1
    return {
        "public_id": public_id,
        "prompt": prompt,
        "first_ms": [(first[s] - sent) * 1e3 for s in "ab"],
        "texts": {s: "".join(pieces[s]) for s in "ab"},
        "lost": sum(expected_pieces - len(pieces[s]) for s in "ab"),
    }


def seed(url: str, concurrency: int) -> None:
    from arena.models import Arena, Competitor, Endpoint

    arena = Arena.objects.create(slug="bench", name="Live bench", prompt_mode="own")
    for name in ("alpha", "beta", "gamma", "delta"):
        endpoint = Endpoint.objects.create(
            name=name,
            base_url=url,
            model=f"bench-{name}",
            concurrency=concurrency,
            timeout_seconds=120,
            usd_per_million_output=1.0,
        )
        arena.competitors.add(Competitor.objects.create(name=name.title(), endpoint=endpoint))


def stored_tokens_lost(results: list[dict[str, Any]], tokens: int) -> tuple[int, int]:
    """(answers whose stored text is not the scripted one, votes counted)."""
    from arena.models import Battle, Vote

    wrong = 0
    ids = [r["public_id"] for r in results]
    battles = Battle.objects.filter(public_id__in=ids).select_related(
        "prompt", "completion_a", "completion_b"
    )
    for row in battles:
        expected = answer_text(tokens, row.prompt.text)
        wrong += (row.completion_a.text != expected) + (row.completion_b.text != expected)
    wrong += 2 * (len(ids) - len(battles))
    return wrong, Vote.objects.filter(battle__public_id__in=ids).count()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--battles", type=int, default=50, help="open at once")
    parser.add_argument("--tokens", type=int, default=100, help="per answer")
    parser.add_argument("--token-rate", type=float, default=20.0, help="tokens/s per answer")
    parser.add_argument("--first-token-ms", type=float, default=300.0, help="endpoint's delay")
    parser.add_argument(
        "--ramp-seconds",
        type=float,
        default=3.0,
        help="the voters press Send spread over this time (0: all at the same instant); the "
        "answers last longer, so all battles are open at once",
    )
    parser.add_argument(
        "--server",
        choices=["gunicorn", "daphne"],
        default="gunicorn",
        help="gunicorn with uvicorn workers as deployed (deploy/gunicorn.conf.py), or one "
        "Daphne process as the end-to-end tests run it",
    )
    parser.add_argument(
        "--web-workers", type=int, default=2, help="gunicorn's workers (WEB_CONCURRENCY)"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args)
        return 0
    for cap in ("SESSION_PER_HOUR", "SESSION_PER_DAY", "ADDRESS_PER_HOUR", "ADDRESS_PER_DAY"):
        os.environ[f"ARENA_VOTE_CAP_{cap}"] = "0"
    os.environ["ARENA_PAGE_RATE_PER_ADDRESS"] = os.environ["ARENA_PAGE_RATE_PER_USER"] = ""
    database_create(args.database_url)
    django_setup(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    logging.disable(logging.INFO)  # httpx logs a line per request otherwise
    from tests.e2e.stack import Stack

    class BenchStack(Stack):
        """The tests' stack, with the deployed connection reuse (the tests close each one)."""

        @property
        def env(self) -> dict[str, str]:
            return super().env | {"DATABASE_CONN_MAX_AGE": "60"} | self.extra

        extra: dict[str, str] = {}

        def start_deployed(self, workers: int) -> None:
            """The web server as deployed (``deploy/run.sh web``): gunicorn with uvicorn
            workers, its settings file; on this stack's port, without the access log."""
            self.extra = {
                "WEB_BIND": f"127.0.0.1:{self.web_port}",
                "WEB_CONCURRENCY": str(workers),
                "WEB_ACCESS_LOG": "0",
            }
            gunicorn = str(Path(sys.executable).parent / "gunicorn")
            config = ["--config", "deploy/gunicorn.conf.py", "config.asgi:application"]
            self.start("web", [gunicorn, *config])
            wait_for_port(self.web_port)
            time.sleep(2)  # every worker up, not only the first to bind

    endpoint = subprocess.Popen(
        [sys.executable, __file__, "--serve", *_pass_on(args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert endpoint.stdout is not None
    url = endpoint.stdout.readline().strip()
    seed(url, concurrency=2 * args.battles)
    args.endpoint_pid = endpoint.pid
    with tempfile.TemporaryDirectory() as tmp:
        stack = BenchStack(tmp=Path(tmp))
        try:
            stack.start_redis()
            if args.server == "daphne":
                stack.start_web()
            else:
                stack.start_deployed(args.web_workers)
            return run(args, url, stack)
        finally:
            stack.stop_all()
            endpoint.communicate("", timeout=30)


def _pass_on(args: argparse.Namespace) -> list[str]:
    return [
        f"--tokens={args.tokens}",
        f"--token-rate={args.token_rate}",
        f"--first-token-ms={args.first_token_ms}",
    ]


def run(args: argparse.Namespace, url: str, stack: Any) -> int:
    n = args.battles
    print(
        f"{n} own-prompt battles, started over {args.ramp_seconds:g} s, 2 answers each: "
        f"{args.tokens} tokens at {args.token_rate:g}/s after {args.first_token_ms:g} ms; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )

    async def warm() -> None:  # imports, the client pools, a connection per pool thread
        await asyncio.gather(*(battle(stack.url, -1 - k, args.tokens) for k in range(8)))

    asyncio.run(warm())
    gap = args.ramp_seconds / n
    own = asyncio.run(endpoint_first_tokens(url, 2 * n, lambda k: f"Question {k // 2}", gap))
    OPEN[:] = [0, 0]
    pid = stack.processes["web"].pid
    before = rss_kib(pid)
    pids = {"web server": pid, "endpoint server": args.endpoint_pid, "these clients": os.getpid()}
    cpu_before = {name: cpu_seconds(p, descendants=p != os.getpid()) for name, p in pids.items()}
    sampler = Sampler(pid)
    sampler.start()

    async def all_battles() -> list[dict[str, Any]]:
        voters = (battle(stack.url, k, args.tokens, gap * k) for k in range(n))
        return list(await asyncio.gather(*voters))

    started = time.perf_counter()
    results = asyncio.run(all_battles())
    wall = time.perf_counter() - started
    cpu = {
        name: cpu_seconds(p, descendants=p != os.getpid()) - cpu_before[name]
        for name, p in pids.items()
    }
    sampler.running = False
    sampler.join()
    live = [ms for r in results for ms in r["first_ms"]]
    lost_client = sum(r["lost"] for r in results)
    wrong_stored, votes = stored_tokens_lost(results, args.tokens)
    own_median, live_median = statistics.median(own), statistics.median(live)
    overhead = live_median - own_median
    per_battle = (sampler.peak - before) / n
    print(f"  endpoint's own first token   median {own_median:7.1f} ms   p90 {_p90(own):7.1f} ms")
    print(f"  browser-side first token     median {live_median:7.1f} ms   p90 {_p90(live):7.1f} ms")
    verdict = "within" if overhead <= TARGET_MS else "OVER"
    print(
        f"  overhead of the platform     median {overhead:7.1f} ms   ({verdict} {TARGET_MS:g} ms)"
    )
    stored = f"{wrong_stored} answers stored wrong"
    print(f"  tokens lost                  {lost_client} at the clients, {stored}")
    print(f"  votes counted                {votes} of {n}")
    print(
        f"  memory per open battle       {per_battle:7.0f} KiB   (web server "
        f"{before / 1024:.0f} MiB before, {sampler.peak / 1024:.0f} MiB at the peak)"
    )
    print(f"  all {n} battles done in {wall:.1f} s; {OPEN[1]} open at once at the most")
    print(
        "  CPU over that time            "
        + ", ".join(f"{name} {seconds / wall:.0%}" for name, seconds in cpu.items())
        + " of one core"
    )
    ok = lost_client == 0 and wrong_stored == 0 and votes == n and overhead <= TARGET_MS
    return 0 if ok else 1


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


if __name__ == "__main__":
    sys.exit(main())
