"""A small HTTP client over loopback: one persistent connection per client, timings in ms."""

import http.client
import math
import statistics
import threading
import time


class Client:
    def __init__(self, port: int, headers: dict):
        self.port = port
        self.headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", **headers}
        self.conn = None

    def get(self, path: str, headers: dict | None = None) -> tuple[int, float, int]:
        """(status, milliseconds, body bytes) of one GET, reconnecting when the server closed."""
        sent = {**self.headers, **headers} if headers else self.headers
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            started = time.perf_counter()
            try:
                self.conn.request("GET", path, headers=sent)
                response = self.conn.getresponse()
                body = response.read()
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if response.will_close:
                self.close()
            return response.status, elapsed, len(body)
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): the smallest value with q % at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(times: list[float]) -> dict:
    return {
        "n": len(times),
        "p50": round(percentile(times, 50), 1),
        "p95": round(percentile(times, 95), 1),
        "p99": round(percentile(times, 99), 1),
        "mean": round(statistics.fmean(times), 1),
        "max": round(max(times), 1),
    }


def measure(client: Client, paths: list[str], requests: int, warmup: int) -> dict:
    """Request ``paths`` in turn: ``warmup`` untimed, then ``requests`` timed, one at a time."""
    errors = []
    for i in range(warmup):
        client.get(paths[i % len(paths)])
    times = []
    for i in range(requests):
        path = paths[i % len(paths)]
        status, ms, _size = client.get(path)
        if status != 200:
            errors.append(f"{status} {path}")
        times.append(ms)
    return {**summary(times), "errors": len(errors), "error_samples": errors[:3]}


def mix(port: int, workers: list[list[tuple[dict, str]]], seconds: float) -> dict:
    """Each list of (headers, path) is one client looping over it for ``seconds``."""
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()
    times, errors = [], []

    def run(plan):
        client = Client(port, {})
        i = 0
        mine, bad = [], []
        while time.perf_counter() < deadline:
            headers, path = plan[i % len(plan)]
            i += 1
            try:
                status, ms, _size = client.get(path, headers)
            except (OSError, http.client.HTTPException) as exc:
                bad.append(f"{type(exc).__name__} {path}")
                continue
            mine.append(ms)
            if status != 200:
                bad.append(f"{status} {path}")
        client.close()
        with lock:
            times.extend(mine)
            errors.extend(bad)

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {
        "clients": len(workers),
        "seconds": round(elapsed, 1),
        "requests": len(times),
        "rps": round(len(times) / elapsed, 1),
        "errors": len(errors),
        "error_samples": errors[:5],
        **{k: v for k, v in summary(times).items() if k != "n"},
    }
