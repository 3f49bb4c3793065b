"""Project-wide middleware: the load balancers' health check and structured request logs."""

import json
import logging
import time
import uuid
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

request_log = logging.getLogger("forum.requests")


class HealthCheckMiddleware:
    """Answer /healthz before host checks and HTTPS redirects: 200 when the database answers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != "/healthz":
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as error:
            return JsonResponse({"status": "error", "database": type(error).__name__}, status=503)
        return JsonResponse({"status": "ok"})


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
