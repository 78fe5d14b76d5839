"""The issue #7 benchmark: the product and the django-scim2 peer under scim-load, with the bare
Django baseline in every run, at several organization sizes. Run through bench/run.

For each size N and each run, the product's database is recreated, N minus the users the load
creates are seeded (bench/seed), and scim-load creates the rest through the API, so the
organization holds N users while it filters, pages and patches. The peer gets N users the way its
own tool gives them (all created through the API: its sizes stay small). Every scim-load run
measures the bare view first and last; ratios are against that run's own baseline, as the issue
asks. Medians over runs go to summary.json and table.md; the plot to docs/bench/latency.png.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOOLS = Path(os.environ.get("SCIM_TOOLS", "/work/shared/tools"))
SCIM_LOAD = TOOLS / "scim-load"
PEER = TOOLS / "peers" / "run-django-peer"
PEER_URL = "http://127.0.0.1:{port}/scim/v2"
BARE_URL = "http://127.0.0.1:{port}/bare/1"

KEYS = [
    "create_per_s",
    "create_ratio",
    "filter_p50_ms",
    "filter_p99_ms",
    "filter_per_s",
    "filter_ratio",
    "page_per_s",
    "page_ratio",
    "cursor_per_s",
    "cursor_ratio",
    "patch_per_s",
    "patch_ratio",
    "group_add_s",
    "baseline_per_s",
    "worker_rss_max_mb",
    "errors",
]


def log(message: str) -> None:
    print(f"bench/run: {message}", file=sys.stderr, flush=True)


def sh(*command, env=None, capture=False) -> str:
    result = subprocess.run(
        [str(c) for c in command],
        env={**os.environ, **(env or {})},
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
    )
    return result.stdout if capture else ""


def serve(action: str, env: dict) -> dict:
    out = sh(HERE / "serve", action, env=env, capture=True)
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


# ------------------------------------------------------------------------- worker memory


class RssSampler(threading.Thread):
    """Largest resident set of any gunicorn worker (children of the masters) while it runs."""

    def __init__(self, pidfiles: list[Path]):
        super().__init__(daemon=True)
        self.pidfiles = pidfiles
        self.max_kb = 0
        self.stopping = threading.Event()

    def workers(self) -> list[int]:
        masters = {int(p.read_text().strip()) for p in self.pidfiles if p.exists() and p.read_text().strip()}
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) in masters:
                found.append(int(entry.name))
        return found

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            for pid in self.workers():
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            self.max_kb = max(self.max_kb, int(line.split()[1]))
                except OSError:
                    pass

    def stop(self) -> float:
        self.stopping.set()
        self.join()
        return round(self.max_kb / 1024, 1)


# --------------------------------------------------------------------------- cursor pages


def cursor_pages(url: str, token: str, *, pages: int, concurrency: int, max_seconds: float) -> dict:
    """Cursor paging (RFC 9865), count=100, from random points of the organization: pages/s."""
    parsed = urllib.parse.urlsplit(url)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}

    def get(conn, query):
        conn.request("GET", f"{parsed.path}/Users?{query}", headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())

    lock, latencies, errors = threading.Lock(), [], [0]
    budget = iter(range(pages))
    deadline = time.perf_counter() + max_seconds

    def worker():
        # Keyset paging costs the same anywhere in the organization: each worker walks from the start.
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        cursor = ""
        while time.perf_counter() < deadline:
            with lock:
                if next(budget, None) is None:
                    break
            started = time.perf_counter()
            status, doc = get(conn, "count=100&cursor=" + urllib.parse.quote(cursor))
            elapsed = time.perf_counter() - started
            with lock:
                if status == 200 and len(doc.get("Resources") or []) == 100:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1
            cursor = doc.get("nextCursor") or ""
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "cursor_per_s": round(len(latencies) / seconds, 2) if seconds else None,
        "cursor_p50_ms": round(latencies[len(latencies) // 2] * 1000, 2) if latencies else None,
        "cursor_errors": errors[0],
    }


# ----------------------------------------------------------------------------------- runs


def load_args(args) -> list[str]:
    return [
        "--concurrency",
        str(args.concurrency),
        "--max-seconds",
        str(args.max_seconds),
        "--baseline-requests",
        str(args.baseline_requests),
        "--filter-requests",
        str(args.filter_requests),
        "--patch-users",
        str(args.patch_users),
        "--page-requests",
        str(args.page_requests),
    ]


def product_run(args, size: int, run: int, out: Path, env: dict) -> dict:
    serve("reset-db", env)
    info = serve("start", env)
    created = min(size, args.users_per_run)
    if size > created:
        log(f"product: seeding {size - created:,} users")
        sh(HERE / "seed", size - created, env=env)
    pidfiles = [
        Path(env.get("BENCH_RUN", "/tmp/massdriver-bench")) / f"gunicorn-{int(env['BENCH_PORT']) + i}.pid"
        for i in range(int(env.get("BENCH_INSTANCES", "1")))
    ]
    sampler = RssSampler(pidfiles)
    sampler.start()
    base_url = info["SCIM_URL"]
    instances = int(env.get("BENCH_INSTANCES", "1"))
    files, procs = [], []
    for i in range(instances):
        url = base_url.replace(f":{env['BENCH_PORT']}/", f":{int(env['BENCH_PORT']) + i}/")
        file = out / f"product-{size}-run{run}{'-instance' + str(i) if instances > 1 else ''}.json"
        files.append(file)
        procs.append(
            subprocess.Popen(
                [
                    str(SCIM_LOAD),
                    "--url",
                    url,
                    "--token",
                    info["SCIM_TOKEN"],
                    "--baseline-url",
                    args.bare_url,
                    "--users",
                    str(created // instances),
                    "--json",
                    str(file),
                    *load_args(args),
                ],
                stdout=open(file.with_suffix(".txt"), "w"),
                stderr=subprocess.DEVNULL,
            )
        )
    for proc in procs:
        proc.wait()
    extra = cursor_pages(
        base_url,
        info["SCIM_TOKEN"],
        pages=args.page_requests,
        concurrency=args.concurrency,
        max_seconds=args.max_seconds,
    )
    extra["worker_rss_max_mb"] = sampler.stop()
    keys = [json.loads(f.read_text())["key"] for f in files]
    key = combine(keys)
    key.update(extra)
    if key.get("baseline_per_s") and key.get("cursor_per_s"):
        key["cursor_ratio"] = round(key["cursor_per_s"] / key["baseline_per_s"], 4)
    key["organization_users"] = size
    (out / f"product-{size}-run{run}.key.json").write_text(json.dumps(key, indent=1))
    return key


def combine(keys: list[dict]) -> dict:
    """Several instances loaded at once: throughputs add up, latencies are the worst one's."""
    if len(keys) == 1:
        return dict(keys[0])
    key = {}
    for name in keys[0]:
        values = [k.get(name) for k in keys if k.get(name) is not None]
        if not values:
            key[name] = None
        elif name.endswith("_per_s") and name != "baseline_per_s":
            key[name] = round(sum(values), 2)
        elif name.endswith(("_ms", "_s")) or name == "errors":
            key[name] = max(values) if name != "errors" else sum(values)
        else:
            key[name] = statistics.mean(values) if isinstance(values[0], (int, float)) else values[0]
    for name in ("create", "filter", "page", "patch"):
        if key.get(f"{name}_per_s") and key.get("baseline_per_s"):
            key[f"{name}_ratio"] = round(key[f"{name}_per_s"] / key["baseline_per_s"], 4)
    return key


def peer_run(args, size: int, run: int, out: Path) -> dict:
    sh(PEER, "reset-db")
    sh(PEER, "start")
    file = out / f"peer-{size}-run{run}.json"
    subprocess.run(
        [
            str(SCIM_LOAD),
            "--url",
            PEER_URL.format(port=args.peer_port),
            "--token",
            os.environ.get("SCIM_TOKEN", "devtoken"),
            "--baseline-url",
            args.bare_url,
            "--users",
            str(size),
            "--json",
            str(file),
            *load_args(args),
        ],
        stdout=open(file.with_suffix(".txt"), "w"),
        stderr=subprocess.DEVNULL,
        check=False,
    )
    key = json.loads(file.read_text())["key"]
    key["organization_users"] = size
    return key


def medians(keys: list[dict]) -> dict:
    result = {"runs": len(keys)}
    for name in KEYS:
        values = [k[name] for k in keys if k.get(name) is not None]
        if values:
            result[name] = round(statistics.median(values), 4)
            result[name + "_range"] = [min(values), max(values)]
    return result


# ---------------------------------------------------------------------------------- report

TARGETS = {
    "create_ratio": "≥ 0.50",
    "filter_ratio": "≥ 0.60",
    "filter_p50_ms": "≤ 3 ms",
    "page_ratio": "≥ 0.20 (at 100k)",
    "cursor_ratio": "≥ 0.40",
    "patch_ratio": "≥ 0.50",
    "group_add_s": "≤ 0.3 s",
    "worker_rss_max_mb": "< 200 MB",
}
LABELS = [
    ("baseline_per_s", "bare Django view, req/s (same run)"),
    ("create_per_s", "create, users/s"),
    ("create_ratio", "create ÷ bare"),
    ("filter_per_s", "filter userName eq, req/s (4 conn.)"),
    ("filter_ratio", "filter ÷ bare"),
    ("filter_p50_ms", "filter p50 at 1 connection, ms"),
    ("filter_p99_ms", "filter p99 at 1 connection, ms"),
    ("page_per_s", "deep page (last 20%, count 100), pages/s"),
    ("page_ratio", "deep page ÷ bare"),
    ("cursor_per_s", "cursor page (count 100), pages/s"),
    ("cursor_ratio", "cursor page ÷ bare"),
    ("patch_per_s", "PATCH active:false, req/s"),
    ("patch_ratio", "PATCH ÷ bare"),
    ("group_add_s", "1,000 members in 10 PATCHes, s"),
    ("worker_rss_max_mb", "largest worker RSS, MB"),
    ("errors", "errors"),
]


def fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}"


def table(summary: dict) -> str:
    columns = [(f"product {n:,}", summary["product"][str(n)]) for n in sorted(map(int, summary["product"]))]
    columns += [
        (f"django-scim2 {n:,}", summary["peer"][str(n)]) for n in sorted(map(int, summary.get("peer", {})))
    ]
    head = "| users in the organization → | target | " + " | ".join(name for name, _ in columns) + " |"
    lines = [head, "|" + " --- |" * (len(columns) + 2)]
    for key, label in LABELS:
        lines.append(
            f"| {label} | {TARGETS.get(key, '')} | "
            + " | ".join(fmt(col.get(key)) for _, col in columns)
            + " |"
        )
    return "\n".join(lines) + "\n"


def plot(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for name, series, style in (
        ("product", summary["product"], "o-"),
        ("django-scim2 peer", summary.get("peer", {}), "s--"),
    ):
        sizes = sorted(map(int, series))
        if not sizes:
            continue
        p50 = [series[str(n)].get("filter_p50_ms") for n in sizes]
        p99 = [series[str(n)].get("filter_p99_ms") for n in sizes]
        ax.plot(sizes, p50, style, label=f"{name}: p50")
        ax.plot(sizes, p99, style, alpha=0.45, label=f"{name}: p99")
    ax.set_xscale("log")
    ax.set_xlabel("users in the organization")
    ax.set_ylabel("filter userName eq latency, ms (1 connection)")
    ax.set_title("SCIM lookup latency vs organization size\n(gunicorn, 2 sync workers, PostgreSQL)")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="5000,100000", help="organization sizes (default 5000,100000)")
    parser.add_argument("--peer-sizes", default="5000", help="sizes for the peer; '' for none (default 5000)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--users-per-run", type=int, default=2000, help="users scim-load creates (the rest is seeded)"
    )
    parser.add_argument(
        "--instances", type=int, default=1, help="gunicorn instances of the product (scale-out)"
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=120, help="time cap of every phase")
    parser.add_argument("--baseline-requests", type=int, default=2000)
    parser.add_argument("--filter-requests", type=int, default=1500)
    parser.add_argument("--patch-users", type=int, default=1000)
    parser.add_argument("--page-requests", type=int, default=200)
    parser.add_argument("--peer-port", type=int, default=int(os.environ.get("PEER_PORT", "18000")))
    parser.add_argument("--out", type=Path, help="results directory (default bench/results/<UTC time>)")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "bench" / "latency.png")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    args.bare_url = BARE_URL.format(port=args.peer_port)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or HERE / "results" / stamp
    out.mkdir(parents=True, exist_ok=True)
    env = {
        "BENCH_PORT": os.environ.get("BENCH_PORT", "18100"),
        "BENCH_INSTANCES": str(args.instances),
    }
    sizes = [int(s) for s in args.sizes.split(",") if s]
    peer_sizes = [int(s) for s in args.peer_sizes.split(",") if s]
    summary = {
        "date": stamp,
        "machine": machine(),
        "args": {k: str(v) for k, v in vars(args).items()},
        "product": {},
        "peer": {},
    }
    try:
        for size in peer_sizes:
            keys = []
            for run in range(1, args.runs + 1):
                log(f"peer: {size:,} users, run {run}/{args.runs}")
                keys.append(peer_run(args, size, run, out))
                log(f"peer: {json.dumps(keys[-1])}")
            summary["peer"][str(size)] = medians(keys)
        sh(PEER, "start")  # its bare view is the baseline of the product's runs
        for size in sizes:
            keys = []
            for run in range(1, args.runs + 1):
                log(f"product: {size:,} users, run {run}/{args.runs}")
                keys.append(product_run(args, size, run, out, env))
                log(f"product: {json.dumps(keys[-1])}")
            summary["product"][str(size)] = medians(keys)
    finally:
        serve("stop", env)
        sh(PEER, "stop")
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    markdown = table(summary)
    (out / "table.md").write_text(markdown)
    print(markdown)
    if not args.no_plot:
        plot(summary, args.plot)
        log(f"plot: {args.plot}")
    log(f"results: {out}")
    return 0


def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    try:
        model = next(
            line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return f"{cpus} cores {model}".strip()


if __name__ == "__main__":
    sys.exit(main())
