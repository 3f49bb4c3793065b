"""Project-wide middleware: the load balancers' health check and structured request logs."""

import json
import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

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
