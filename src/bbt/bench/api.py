"""API service benchmark (`bbt bench api`): throughput, latency, memory, a bounded mixed load run, and a
schemathesis run, against a live `bbt serve` on loopback. Writes results/api_bench.{json,md}.

The server runs in its own process (what users run); the load generator is asyncio + aiohttp in this process,
so on a 2-core machine client and server share the cores, and the numbers include that cost. The load
generator is aiohttp (see `_client` for why not httpx).

Correctness under load: before the load run every request of a fixed pool is sent once, one at a time, and its
response recorded. The models are deterministic, so during the run every response must equal its request's
recorded answer: a response that belongs to another request (mixed up in batching) or none at all (lost)
is counted.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import numpy as np

from bbt.errors import BBTError
from bbt.results import write_json, write_markdown


@dataclass
class ApiBenchConfig:
    seconds_throughput: float = 20.0
    seconds_latency: float = 20.0
    seconds_load: float = 60.0  # the bounded load run
    batch_texts: int = 64  # texts per request in the throughput run
    latency_clients: int = 16
    load_clients: int = 32
    fuzz_examples: int = 100  # schemathesis examples per operation
    fuzz: bool = True


# ------------------------------------------------------------------------------------------- server process
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`bbt serve` in a subprocess with a throw-away key database and generous rate limits."""

    def __init__(self, bundle: Path, threads: int = 0):
        self.bundle, self.port = Path(bundle), _free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="bbt-apibench-"))
        from bbt.serve.keys import KeyStore

        store = KeyStore(self.tmp / "keys.sqlite")
        self.key, _ = store.create("api-bench")
        store.close()
        env = {**os.environ, "BBT_SERVE_KEYS_DB": str(self.tmp / "keys.sqlite"),
               "BBT_SERVE_RATE_LIMIT_PER_MINUTE": "10000000", "BBT_SERVE_RATE_BURST": "1000000",
               "BBT_SERVE_THREADS": str(threads),
               "BBT_SERVE_LOG_LEVEL": "info"}  # why: as in production, one log line per request
        cmd = [sys.executable, "-m", "bbt.cli.main", "serve", "--bundle", str(self.bundle), "--port", str(self.port),
               "--no-build"]
        self.log = open(self.tmp / "server.log", "wb")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 180.0) -> float:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise BBTError(f"server exited with {self.proc.returncode}; log: {self.tmp / 'server.log'}")
            try:
                if httpx.get(self.url + "/v1/ready", timeout=2).status_code == 200:
                    return time.perf_counter() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise BBTError(f"server not ready after {timeout} s; log: {self.tmp / 'server.log'}")

    def rss_bytes(self) -> int:
        import psutil

        return psutil.Process(self.proc.pid).memory_info().rss

    def stop(self) -> dict:
        """SIGTERM (graceful shutdown) and how long it took."""
        t0 = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = "killed"
        self.log.close()
        log = (self.tmp / "server.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
        shutil.rmtree(self.tmp, ignore_errors=True)
        # why: uvicorn re-raises the captured SIGTERM after its graceful shutdown, so the exit code is -15 either
        # way; the service's last log line says whether queued work was finished first
        return {"exit_code": code, "seconds": round(time.perf_counter() - t0, 2),
                "graceful": any("queued batches finished" in line for line in log), "log_tail": log[-3:]}


# ------------------------------------------------------------------------------------------- requests pool
def bench_frames(data_dir: Path, n: int = 5) -> list:
    """The first `n` A-share histories: the price inputs of the forecast and commentary requests."""
    from bbt.data import load_market_file

    return [load_market_file(f) for f in sorted((data_dir / "stocks" / "ashare_qfq").glob("*.csv"))[:n]]


def request_pool(data_dir: Path, frames: list, n: int = 120, seed: int = 0) -> list[tuple[str, dict]]:
    """Mixed (path, body) requests built from real rows of the eval splits and a real price history."""
    rng = random.Random(seed)

    def rows(task: str) -> list:
        return json.loads((data_dir / "fincuge" / task / "eval_list.json").read_text("utf-8"))

    fe, ne, nl, re_, na, nsp, ese = (rows(t) for t in ("finfe", "finne", "finnl", "finre", "finna", "finnsp", "finese"))
    closes = [f["close"].to_numpy()[-200:].tolist() for f in frames]
    bars = commentary_bodies(frames)
    makers = [
        lambda: ("/v1/sentiment/forum", {"texts": [r[0] for r in rng.sample(fe, rng.randint(1, 4))]}),
        lambda: ("/v1/sentiment/news", {"texts": [rng.choice(ne)[0][:1000]]}),
        lambda: ("/v1/news/classify", {"texts": [rng.choice(nl)[0][:1000]]}),
        lambda: ("/v1/summarize", {"texts": [rng.choice(na)[1][:3000]]}),
        lambda: ("/v1/ner", {"texts": [rng.choice(re_)[3]]}),
        lambda: ("/v1/relations", {"items": [{"text": r[3], "head": r[0], "tail": r[1]} for r in rng.sample(re_, 2)]}),
        lambda: ("/v1/events", {"texts": [rng.choice(ese)[1][:1000]]}),
        lambda: ("/v1/causal", {"texts": [rng.choice(ese)[1][:1000]]}),
        lambda: ("/v1/announcements", {"texts": [rng.choice(ese)[1][:1000]]}),
        lambda: ("/v1/negative-news", {"items": [{"text": r[2][:1500], "entities": [e for e in r[3].split(";") if e]}
                                                 for r in [rng.choice(nsp)]]}),
        lambda: ("/v1/kg/companies", {"queries": [rng.choice(["000001", "600519", "平安银行", "万科A", "300750"])]}),
        lambda: ("/v1/forecast", {"items": [{"series": {"close": rng.choice(closes)}, "horizon": rng.randint(1, 10)}]}),
        lambda: ("/v1/commentary", rng.choice(bars)),
    ]
    return [makers[i % len(makers)]() for i in range(n)]


def commentary_bodies(frames: list, n: int = 40, days: int = 120) -> list[dict]:
    """/v1/commentary bodies: `days` real bars ending at `n` spread-out days of the given histories, both voices."""
    out = []
    for k in range(n):
        f = frames[k % len(frames)]
        end = len(f) - 1 - (k // len(frames)) * 37
        rows = f.iloc[max(0, end - days + 1):end + 1]
        out.append({"series": [{"date": str(r.date.date()), "open": float(r.open), "high": float(r.high),
                                "low": float(r.low), "close": float(r.close), "volume": float(r.volume)}
                               for r in rows.itertuples()],
                    "code": str(f.attrs.get("code")), "style": ("analyst", "retail")[k % 2]})
    return out


# ------------------------------------------------------------------------------------------- runs
@dataclass
class Reply:
    status: int | None  # None: no response (connection error or timeout)
    body: bytes = b""

    def json(self):
        return json.loads(self.body)


async def _timed_loop(session, seconds: float, n_clients: int, next_request, on_response):
    """n_clients concurrent loops, each sending its next request as soon as the last one is answered."""
    import aiohttp

    stop = time.perf_counter() + seconds

    async def worker(w: int):
        i = 0
        while time.perf_counter() < stop:
            path, body, tag = next_request(w, i)
            t0 = time.perf_counter()
            try:
                async with session.post(path, json=body) as r:
                    reply = Reply(r.status, await r.read())
            except (aiohttp.ClientError, asyncio.TimeoutError):
                reply = Reply(None)
            on_response(tag, reply, time.perf_counter() - t0)
            i += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(n_clients)))
    return time.perf_counter() - t0


def _client(server: LiveServer, n: int):
    """aiohttp, not httpx, for the load generator: on 2 shared cores httpx's own per-request CPU dominated
    the measured tail in a one-off comparison against the same server (16 clients)."""
    import aiohttp

    return aiohttp.ClientSession(base_url=server.url, headers={"X-API-Key": server.key},
                                 timeout=aiohttp.ClientTimeout(total=60), connector=aiohttp.TCPConnector(limit=n))


async def throughput(server: LiveServer, texts: list[str], cfg: ApiBenchConfig, clients: int) -> dict:
    done, codes = [0], []

    def nxt(w, i):
        start = ((w * 7919 + i) * cfg.batch_texts) % max(1, len(texts) - cfg.batch_texts)
        return "/v1/sentiment/forum", {"texts": texts[start:start + cfg.batch_texts]}, None

    def on(tag, r, dt):
        if r.status == 200:
            done[0] += cfg.batch_texts
        codes.append(r.status)

    async with _client(server, clients) as c:
        wall = await _timed_loop(c, cfg.seconds_throughput, clients, nxt, on)
    return {"clients": clients, "texts_per_request": cfg.batch_texts, "texts": done[0], "seconds": round(wall, 2),
            "texts_per_s": round(done[0] / wall, 1), "non_200": sum(1 for x in codes if x != 200)}


async def latency(server: LiveServer, texts: list[str], cfg: ApiBenchConfig, route: str = "/v1/sentiment/forum",
                  bodies: list[dict] | None = None) -> dict:
    """Single requests from `latency_clients` clients: forum sentiment of one text, or the given `bodies`."""
    lat, codes = [], []

    def nxt(w, i):
        k = w * 1009 + i
        return route, (bodies[k % len(bodies)] if bodies else {"texts": [texts[k % len(texts)]]}), None

    def on(tag, r, dt):
        lat.append(dt)
        codes.append(r.status)

    async with _client(server, cfg.latency_clients) as c:
        wall = await _timed_loop(c, cfg.seconds_latency, cfg.latency_clients, nxt, on)
    ms = np.array(lat) * 1000
    return {"clients": cfg.latency_clients, "requests": len(lat), "requests_per_s": round(len(lat) / wall, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1), "max_ms": round(float(ms.max()), 1),
            "non_200": sum(1 for x in codes if x != 200)}


def same(a, b, rel: float = 1e-5, abs_: float = 1e-6) -> bool:
    """Equal JSON, floats within rounding: the same request may meet a model in a batch of another size, and
    float kernels then sum in another order (last-digit differences); a mixed-up answer differs entirely."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= abs_ + rel * abs(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rel, abs_) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, rel, abs_) for x, y in zip(a, b))
    return a == b


async def load_run(server: LiveServer, pool: list[tuple[str, dict]], cfg: ApiBenchConfig) -> dict:
    expected: list[dict] = []
    with httpx.Client(base_url=server.url, headers={"X-API-Key": server.key}, timeout=60) as c:
        for path, body in pool:  # the reference answers, one request at a time
            r = c.post(path, json=body)
            if r.status_code != 200:
                raise BBTError(f"reference request to {path} failed: {r.status_code} {r.text[:300]}")
            expected.append(r.json())
    stats = {"requests": 0, "ok": 0, "status_5xx": 0, "status_4xx": 0, "transport_errors": 0, "mismatched": 0,
             "exact_float_differences": 0}
    by_route: dict[str, int] = {}
    mismatches: list[dict] = []

    def nxt(w, i):
        k = (w * 31 + i * 7) % len(pool)
        return pool[k][0], pool[k][1], k

    def on(k, r, dt):
        stats["requests"] += 1
        by_route[pool[k][0]] = by_route.get(pool[k][0], 0) + 1
        if r.status is None:
            stats["transport_errors"] += 1
        elif r.status >= 500:
            stats["status_5xx"] += 1
        elif r.status >= 400:
            stats["status_4xx"] += 1
        else:
            got = r.json()
            if got == expected[k]:
                stats["ok"] += 1
            elif same(got, expected[k]):
                stats["ok"] += 1
                stats["exact_float_differences"] += 1
            else:
                stats["mismatched"] += 1
                if len(mismatches) < 5:
                    mismatches.append({"route": pool[k][0], "request": json.dumps(pool[k][1], ensure_ascii=False)[:300],
                                       "expected": json.dumps(expected[k], ensure_ascii=False)[:600],
                                       "got": json.dumps(got, ensure_ascii=False)[:600]})

    async with _client(server, cfg.load_clients) as c:
        wall = await _timed_loop(c, cfg.seconds_load, cfg.load_clients, nxt, on)
    return {**stats, "clients": cfg.load_clients, "seconds": round(wall, 1),
            "requests_per_s": round(stats["requests"] / wall, 1), "pool": len(pool), "by_route": by_route,
            "mismatch_samples": mismatches}


def fuzz(server: LiveServer, examples: int) -> dict:
    """schemathesis against the live OpenAPI schema: server errors and response-schema violations."""
    here = Path(sys.executable).parent  # why: the venv's bin/ need not be on PATH
    st = next((str(p) for p in (here / "st", here / "schemathesis") if p.exists()), None) or shutil.which("st")
    if st is None:
        return {"skipped": "schemathesis is not installed (pip install schemathesis)"}
    cmd = [st, "run", f"{server.url}/openapi.json", "--checks", "not_a_server_error,response_schema_conformance",
           "--max-examples", str(examples), "--header", f"X-API-Key: {server.key}", "--seed", "0",
           "--no-color", "--workers", "2"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    out = proc.stdout + proc.stderr
    return {"exit_code": proc.returncode, "passed": proc.returncode == 0, "seconds": round(time.perf_counter() - t0, 1),
            "max_examples": examples, "summary": out.strip().splitlines()[-15:]}


def run_api_bench(bundle: Path, data_dir: Path, out: Path, cfg: ApiBenchConfig | None = None, console=None) -> dict:
    cfg = cfg or ApiBenchConfig()
    say = console.print if console else print
    fe = json.loads((data_dir / "fincuge" / "finfe" / "eval_list.json").read_text("utf-8"))
    short = [r[0] for r in fe if len(r[0]) <= 80]  # "short texts": forum posts up to 80 characters
    server = LiveServer(bundle)
    result: dict = {"config": asdict(cfg), "bundle": str(bundle), "cores": os.cpu_count(),
                    "short_text_mean_chars": round(float(np.mean([len(t) for t in short])), 1)}
    try:
        result["startup_seconds"] = round(server.wait_ready(), 1)
        say(f"server ready in {result['startup_seconds']} s at {server.url}")
        result["rss_after_start_mib"] = round(server.rss_bytes() / 2**20, 1)
        say("throughput (forum sentiment, batched) ...")
        result["throughput"] = [asyncio.run(throughput(server, short, cfg, n)) for n in (1, 4)]
        say(f"  {[t['texts_per_s'] for t in result['throughput']]} texts/s")
        say(f"latency ({cfg.latency_clients} clients, single texts) ...")
        result["latency"] = asyncio.run(latency(server, short, cfg))
        say(f"  p99 {result['latency']['p99_ms']} ms")
        frames = bench_frames(data_dir)
        say(f"commentary latency ({cfg.latency_clients} clients, 120 bars each) ...")
        result["commentary_latency"] = asyncio.run(latency(server, [], cfg, "/v1/commentary",
                                                           commentary_bodies(frames)))
        say(f"  p99 {result['commentary_latency']['p99_ms']} ms")
        say(f"mixed load ({cfg.load_clients} clients, {cfg.seconds_load:.0f} s) ...")
        result["load"] = asyncio.run(load_run(server, request_pool(data_dir, frames), cfg))
        say(f"  {result['load']['requests']} requests, 5xx {result['load']['status_5xx']}, "
            f"mismatched {result['load']['mismatched']}, lost {result['load']['transport_errors']}")
        result["rss_after_load_mib"] = round(server.rss_bytes() / 2**20, 1)
        if cfg.fuzz:
            say("schemathesis ...")
            result["fuzz"] = fuzz(server, cfg.fuzz_examples)
            say(f"  passed: {result['fuzz'].get('passed')}")
            result["rss_after_fuzz_mib"] = round(server.rss_bytes() / 2**20, 1)
    finally:
        result["shutdown"] = server.stop()
    result["targets"] = targets(result)
    write(result, out)
    return result


def targets(r: dict) -> dict:
    best_tp = max(t["texts_per_s"] for t in r["throughput"])
    rss = max(v for k, v in r.items() if k.startswith("rss_"))
    load = r["load"]
    bad = load["status_5xx"] + load["status_4xx"] + load["transport_errors"] + load["mismatched"]
    out = {"throughput_texts_per_s >= 1000": [best_tp, best_tp >= 1000],
           "p99_ms_16_clients <= 100": [r["latency"]["p99_ms"], r["latency"]["p99_ms"] <= 100],
           "rss_mib < 2048": [rss, rss < 2048],
           # every pool request answered 200 alone before the run, so any error status under load is a failure too
           "load_zero_errors_lost_mixed": [bad, bad == 0]}
    if "commentary_latency" in r:
        p99 = r["commentary_latency"]["p99_ms"]
        out["commentary_p99_ms_16_clients <= 300 (template)"] = [p99, p99 <= 300]
    if "fuzz" in r and "passed" in r["fuzz"]:
        out["schemathesis_passed"] = [r["fuzz"]["exit_code"], r["fuzz"]["passed"]]
    out["graceful_shutdown"] = [r["shutdown"]["seconds"], bool(r["shutdown"].get("graceful"))]
    return out


def write(r: dict, out: Path) -> None:
    write_json(out, r)
    lines = ["# API benchmark", "", f"Bundle `{r['bundle']}`, {r['cores']} cores, server and load generator on one "
             "machine (loopback).", "", "| target | measured | met |", "|---|---|---|"]
    for name, (value, ok) in r["targets"].items():
        lines.append(f"| {name} | {value} | {'yes' if ok else 'NO'} |")
    lat, load = r["latency"], r["load"]
    lines += ["", "| run | numbers |", "|---|---|"]
    if "commentary_latency" in r:
        c = r["commentary_latency"]
        lines.append(f"| commentary latency, {c['clients']} clients x 1 window (120 bars, template) | p50 {c['p50_ms']} / "
                     f"p95 {c['p95_ms']} / p99 {c['p99_ms']} ms, {c['requests_per_s']} req/s (non-200 {c['non_200']}) |")
    for t in r["throughput"]:
        lines.append(f"| throughput, {t['clients']} client(s) x {t['texts_per_request']} texts | "
                     f"{t['texts_per_s']} texts/s ({t['texts']} texts in {t['seconds']} s, non-200 {t['non_200']}) |")
    lines.append(f"| latency, {lat['clients']} clients x 1 text | p50 {lat['p50_ms']} / p95 {lat['p95_ms']} / "
                 f"p99 {lat['p99_ms']} ms, {lat['requests_per_s']} req/s |")
    lines.append(f"| mixed load, {load['clients']} clients, {load['seconds']} s | {load['requests']} requests "
                 f"({load['requests_per_s']}/s): ok {load['ok']}, 5xx {load['status_5xx']}, 4xx {load['status_4xx']}, "
                 f"lost {load['transport_errors']}, mismatched {load['mismatched']} |")
    lines.append(f"| memory (RSS) | start {r['rss_after_start_mib']} MiB, after load {r['rss_after_load_mib']} MiB |")
    if "fuzz" in r:
        lines.append(f"| schemathesis | {r['fuzz'].get('summary', r['fuzz'])[-1] if r['fuzz'].get('summary') else r['fuzz']} |")
    lines.append(f"| graceful shutdown (SIGTERM) | queued work finished: {r['shutdown']['graceful']}, {r['shutdown']['seconds']} s |")
    write_markdown(out.with_suffix(".md"), "\n".join(lines))
