"""Plain HTTP against the local gunicorn, with the standard library only.

One connection per request: gunicorn's sync workers close every connection after one response.
Requests come as from the TLS proxy in front of production (``X-Forwarded-Proto: https``), so the
site's HTTPS rules (redirects, secure cookies, CSRF origin checks) apply as they do there.
"""

import html
import http.client
import itertools
import math
import multiprocessing
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

HOST = "127.0.0.1"
ORIGIN = f"https://{HOST}"
TIMEOUT = 30


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float


class Session:
    """One reader's browser: its cookies, and the comment form's CSRF token once fetched.

    Its requests carry ``X-Request-Id: TAG-N``, which the server's request log repeats, so that
    the server's own timings of a phase can be found there.
    """

    def __init__(self, port: int, tag: str) -> None:
        self.port = port
        self.tag = tag
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""
        self.counter = itertools.count(1)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        headers = {
            "Host": HOST,
            "Accept-Language": "ja",
            "X-Forwarded-Proto": "https",
            "X-Request-Id": f"{self.tag}-{id(self):x}-{next(self.counter)}",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = ORIGIN
        headers.update(extra_headers or {})
        connection = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT)
        try:
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            seconds = time.perf_counter() - started
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.coded_value
        return Response(response.status, response.headers, data, seconds)

    def open_form(self, path: str) -> str:
        """GET a page with a comment form: keep the CSRF cookie and token; return ``issued``."""
        response = self.request("GET", path)
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
        page = response.body.decode()
        self.csrf_token = hidden_input(page, "csrfmiddlewaretoken")
        return hidden_input(page, "issued")


def hidden_input(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0)) if tag else None
    if value is None:
        raise RuntimeError(f"no {name} input in the form")
    return html.unescape(value.group(1))


def form_errors(page: bytes) -> str:
    """The form's error messages, to tell refused posts apart in the report."""
    found = re.findall(r'(?:role="alert"|class="errorlist[^"]*")[^>]*>(.*?)</', page.decode())
    text = " ".join(re.sub(r"<[^>]+>", "", item).strip() for item in found)
    return text[:80] or "(no message)"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


@dataclass
class Load:
    """What a run of requests gave: latencies of the successes and errors by kind."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


# A request function returns the response's latency, or raises Failed (or anything else).
Attempt = Callable[[], float]


class Failed(Exception):
    """A request answered, but not as hoped: its kind names it in the report."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _run(attempt: Attempt, load: Load, lock: threading.Lock) -> None:
    try:
        seconds = attempt()
    except Failed as error:
        with lock:
            load.errors[error.kind] += 1
    except Exception as error:  # the benchmark counts every failure by kind and goes on
        with lock:
            load.errors[type(error).__name__] += 1
    else:
        with lock:
            load.latencies.append(seconds)


def sequential(attempt: Attempt, count: int) -> Load:
    load, lock = Load(), threading.Lock()
    started = time.perf_counter()
    for _ in range(count):
        _run(attempt, load, lock)
    load.seconds = time.perf_counter() - started
    return load


def concurrent(attempts: list[Attempt], seconds: float) -> Load:
    """Each attempt function in a thread of its own, over and over, for ``seconds``."""
    load, lock = Load(), threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(attempt: Attempt) -> None:
        while time.perf_counter() < deadline:
            _run(attempt, load, lock)

    threads = [threading.Thread(target=worker, args=(attempt,)) for attempt in attempts]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Requests still under way at the deadline finish and count: measure until the last one.
    load.seconds = time.perf_counter() - started
    return load


def _process_worker(attempt: Attempt, deadline: float, per_second: float | None, results) -> None:
    load, lock = Load(), threading.Lock()
    started = time.perf_counter()
    done = 0
    while (now := time.perf_counter()) < deadline:
        if per_second:
            # On a schedule: a request late for its time goes at once, none is skipped.
            time.sleep(max(0.0, started + done / per_second - now))
        _run(attempt, load, lock)
        done += 1
    results.put((load.latencies, dict(load.errors)))


def concurrent_processes(
    attempts: list[Attempt], seconds: float, *, per_second: float | None = None
) -> Load:
    """As ``concurrent``, but each attempt function in a process of its own (forked, so the
    functions need not be picklable): the load's clients then hold no lock of the measuring
    process, whose own requests would otherwise wait for Python's GIL behind theirs. With
    ``per_second``, each client sends that many requests a second rather than as many as the
    server answers."""
    context = multiprocessing.get_context("fork")
    results = context.SimpleQueue()
    started = time.perf_counter()
    deadline = started + seconds
    processes = [
        context.Process(
            target=_process_worker,
            args=(attempt, deadline, per_second, results),
            daemon=True,
        )
        for attempt in attempts
    ]
    for process in processes:
        process.start()
    load = Load()
    for _ in processes:
        latencies, errors = results.get()
        load.latencies += latencies
        load.errors.update(errors)
    for process in processes:
        process.join()
    load.seconds = time.perf_counter() - started
    return load
