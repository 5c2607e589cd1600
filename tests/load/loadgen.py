"""A bounded HTTP load generator: worker processes × threads, each request on a fresh connection.

Run as its own process (so it does not share an interpreter with the server or the test):

    .venv/bin/python tests/load/loadgen.py --port 8000 --duration 5 --processes 2 --threads 8 \
        /path/one /path/two ...

Only 127.0.0.1 is allowed. Prints one JSON object: requests, errors (non-2xx statuses and socket
errors by kind), requests per second, p50/p95/p99 latency in milliseconds, and per-path counts.
Bounded by --duration and by --max-requests (per thread).
"""

import argparse
import http.client
import json
import multiprocessing
import statistics
import sys
import threading
import time
from collections import Counter

HOST = "127.0.0.1"


def _thread(port, paths, offset, deadline, max_requests, out):
    latencies, statuses, errors, per_path = [], Counter(), Counter(), Counter()
    index = offset
    while time.perf_counter() < deadline and len(latencies) < max_requests:
        path = paths[index % len(paths)]
        index += 1
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=10)
            connection.request("GET", path, headers={"Host": HOST, "Connection": "close"})
            response = connection.getresponse()
            response.read()
            status = response.status
            connection.close()
        except Exception as exc:  # counted, not raised: the figure is how many failed
            errors[type(exc).__name__] += 1
            continue
        latencies.append(time.perf_counter() - started)
        statuses[status] += 1
        per_path[path] += 1
    out.append((latencies, statuses, errors, per_path))


def _process(port, paths, threads, offset, duration, max_requests, queue):
    deadline = time.perf_counter() + duration
    out = []
    workers = [
        threading.Thread(target=_thread, args=(port, paths, offset + i, deadline, max_requests, out))
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    latencies, statuses, errors, per_path = [], Counter(), Counter(), Counter()
    for lat, sta, err, pp in out:
        latencies += lat
        statuses.update(sta)
        errors.update(err)
        per_path.update(pp)
    queue.put((latencies, dict(statuses), dict(errors), dict(per_path)))


def run(port, paths, duration=5.0, processes=2, threads=8, max_requests=100_000):
    """Drive the server; returns the figures as a dict (also what the command line prints)."""
    queue = multiprocessing.get_context("spawn").Queue()
    ctx = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    procs = [
        ctx.Process(target=_process, args=(port, paths, threads, i * threads, duration, max_requests, queue))
        for i in range(processes)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=duration + 60) for _proc in procs]
    for proc in procs:
        proc.join(timeout=30)
    elapsed = time.perf_counter() - started
    latencies, statuses, errors, per_path = [], Counter(), Counter(), Counter()
    for lat, sta, err, pp in results:
        latencies += lat
        statuses.update(sta)
        errors.update(err)
        per_path.update(pp)
    latencies.sort()

    def pct(p):
        if not latencies:
            return None
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)

    bad = {str(code): n for code, n in statuses.items() if not 200 <= code < 300}
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / duration, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(1000 * statistics.fmean(latencies), 2) if latencies else None,
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
        "error_statuses": bad,
        "socket_errors": dict(errors),
        "errors": sum(bad.values()) + sum(errors.values()),
        "per_path": dict(per_path),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=100_000, help="per thread")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    if args.duration > 60:
        parser.error("bounded: at most 60 seconds")
    figures = run(args.port, args.paths, args.duration, args.processes, args.threads, args.max_requests)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
