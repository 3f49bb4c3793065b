"""Project-wide middleware: the load balancers' health check, structured request logs, and the
answer to a post the database could not take."""

import json
import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

request_log = logging.getLogger("forum.requests")


class HealthCheckMiddleware:
    """Answer /healthz before host checks and HTTPS redirects: 200 when the database answers,
    and Redis too when there is one (sessions and rate limits live there)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != "/healthz":
            return self.get_response(request)
        for part, check in self.checks():
            try:
                check()
            except Exception:
                # The details go to the log, not to whoever asks.
                request_log.exception("health check failed: %s", part)
                return JsonResponse({"status": "error", "failed": part}, status=503)
        return JsonResponse({"status": "ok"})

    @staticmethod
    def checks() -> list[tuple[str, Callable[[], object]]]:
        def database() -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()

        found = [("database", database)]
        if settings.REDIS_URL:
            found.append(("redis", lambda: caches["default"].get("healthz")))
        return found


class RequestLogMiddleware:
    """Log one JSON line per request: what was asked, the answer, and how long it took."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request_log.isEnabledFor(logging.INFO):
            return self.get_response(request)
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        request_log.info(
            json.dumps(
                {
                    "event": "request",
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "user": user.pk if user is not None and user.is_authenticated else None,
                    "bytes": len(response.content) if not response.streaming else None,
                },
                ensure_ascii=False,
            )
        )
        response["X-Request-Id"] = request_id
        return response


class DatabaseDownMiddleware:
    """A comment sent while the database cannot be reached (restarting, unreachable, or SQLite's
    write lock held past its timeout) is answered 503 with the reader's text in a form to send
    again, rather than Django's bare error page, which would lose it. The write's transaction
    did not commit, so nothing was saved; only a connection lost during the COMMIT itself leaves
    that unknown (bench --faults counts such posts). The page touches neither the database nor
    the session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.method != "POST" or not isinstance(exception, OperationalError | InterfaceError):
            return None
        if "body" not in request.POST:
            return None
        request_log.error("post refused, the database is unavailable", exc_info=exception)
        fields = [
            (name, value)
            for name, value in request.POST.items()
            if name not in ("body", "csrfmiddlewaretoken", "preview", "post")
        ]
        response = render(
            request,
            "database_unavailable.html",
            {"body": request.POST["body"], "fields": fields, "action": request.path},
            status=503,
        )
        response["Retry-After"] = "10"
        return response
