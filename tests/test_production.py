"""Production readiness: health check, request logs, CSP, client address, deploy checks, Redis."""

import json
import logging
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import ProgrammingError, close_old_connections, connections
from django.test import RequestFactory

from articles.abuse.addresses import client_ip
from articles.abuse.limits import Limit, within_limit
from forum.postgresql.base import HEALTHY_FOR

from .helpers import count_in_two_processes, test_database_url

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "forum.example",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://forum.example",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # As on a server: without test-only switches such as DJANGO_ALLOW_ASYNC_UNSAFE.
    server_env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**server_env, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_under_the_production_profile():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_healthz_answers_ok_by_address_over_plain_http(client, db, settings):
    settings.ALLOWED_HOSTS = ["forum.example"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.5")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_says_503_when_the_database_does_not_answer(client, db, monkeypatch):
    from django.db import connection

    def broken(*args, **kwargs):
        raise ConnectionError("database down")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", broken)
        response = client.get("/healthz")
    assert response.status_code == 503
    # What failed, for the load balancer's log; the error itself only in ours.
    assert response.json() == {"status": "error", "failed": "database"}


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"), 200),
        ("redis://127.0.0.1:1/15", 503),  # nothing listens there
    ],
)
def test_healthz_checks_redis_when_there_is_one(client, db, settings, url, status):
    settings.REDIS_URL = url
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url},
    }
    response = client.get("/healthz")
    assert response.status_code == status
    if status == 503:
        assert response.json() == {"status": "error", "failed": "redis"}


def test_each_request_is_logged_as_one_json_line(client, seeded, caplog):
    logging.getLogger("forum.requests").setLevel(logging.INFO)
    try:
        with caplog.at_level(logging.INFO, logger="forum.requests"):
            response = client.get(seeded.get_absolute_url(), HTTP_X_REQUEST_ID="abc123")
    finally:
        logging.getLogger("forum.requests").setLevel(logging.WARNING)
    entry = json.loads(caplog.records[-1].getMessage())
    assert entry["request_id"] == "abc123"
    assert response["X-Request-Id"] == "abc123"
    assert (entry["method"], entry["path"], entry["status"]) == (
        "GET",
        seeded.get_absolute_url(),
        200,
    )
    assert entry["ms"] >= 0


def test_pages_send_a_strict_csp_and_carry_nothing_inline(client, seeded, moderator_client):
    url = seeded.get_absolute_url()
    comment = seeded.comments.get(number=2)
    pages = [
        (client, "/"),
        (client, url),
        (client, f"{url}c/2/"),
        (client, f"{url}c/2/reply/"),
        (client, "/accounts/login/"),
        (moderator_client, f"/admin/articles/comment/{comment.pk}/change/"),
    ]
    for who, page in pages:
        response = who.get(page)
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "unsafe-inline" not in policy
        if page.startswith("/admin/"):
            continue  # Django's own admin templates are Django's business
        html = response.text
        # Structured data is a data block, which browsers never run: the only inline <script>.
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        assert all(attrs == ' type="application/ld+json"' for attrs in inline), page
        assert not re.search(r"\sstyle=", html), page
        assert not re.search(r"\son[a-z]+=", html), page


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.5", "", [], "203.0.113.5"),
        # A client's own X-Forwarded-For is ignored unless it came through a trusted proxy.
        ("203.0.113.5", "1.2.3.4", [], "203.0.113.5"),
        ("10.0.0.2", "198.51.100.7", ["10.0.0.0/8"], "198.51.100.7"),
        # The client wrote "1.2.3.4" itself; our proxy appended the address it really saw.
        ("10.0.0.2", "1.2.3.4, 198.51.100.7", ["10.0.0.0/8"], "198.51.100.7"),
        # Two trusted proxies in a row.
        ("10.0.0.2", "198.51.100.7, 10.0.0.9", ["10.0.0.0/8"], "198.51.100.7"),
        # A trusted proxy that hands over no address: the request is put down to that proxy.
        ("10.0.0.2", "garbage", ["10.0.0.0/8"], "10.0.0.2"),
        ("10.0.0.2", "1.2.3.4, unknown, 10.0.0.9", ["10.0.0.0/8"], "10.0.0.9"),
        ("10.0.0.2", "", ["10.0.0.0/8"], "10.0.0.2"),
        ("2001:db8::1", "2001:db8:1::5", ["2001:db8::/48"], "2001:db8:1::5"),
        # Proxies that write the client's port, or IPv6 in brackets; IPv4 mapped into IPv6.
        ("10.0.0.2", "198.51.100.7:51234", ["10.0.0.0/8"], "198.51.100.7"),
        ("10.0.0.2", "[2001:db8:1::5]:443", ["10.0.0.0/8"], "2001:db8:1::5"),
        ("10.0.0.2", "[2001:db8:1::5]", ["10.0.0.0/8"], "2001:db8:1::5"),
        ("::ffff:10.0.0.2", "::ffff:198.51.100.7", ["10.0.0.0/8"], "198.51.100.7"),
    ],
)
def test_client_address_behind_trusted_proxies(settings, remote, forwarded, trusted, expected):
    settings.FORUM_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_malformed_trusted_proxy_stops_the_server_from_starting():
    env = {**PRODUCTION_ENV, "FORUM_TRUSTED_PROXIES": "10.0.0.0/8, 10.0.0.0/33"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "FORUM_TRUSTED_PROXIES: '10.0.0.0/33' is not an address or network" in result.stderr


@pytest.fixture
def redis_cache(settings):
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    settings.FORUM_RATE_LIMIT_STORE = "cache"
    from django.core.cache import cache

    cache.clear()
    yield url
    cache.clear()


def test_rate_limits_in_redis_are_shared_by_two_processes(redis_cache, db):
    allowed = count_in_two_processes({"REDIS_URL": redis_cache})
    assert sum(allowed) == 50
    assert within_limit("shared", Limit("test", 50, 3600)) is False


@pytest.mark.postgresql
def test_postgresql_prepares_the_statements_a_connection_repeats(db):
    from django.db import connection

    from articles.models import Article

    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of the suite")
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    if threshold is None:
        pytest.skip("DJANGO_DB_PREPARE_THRESHOLD is empty: preparing is off")
    for _ in range(threshold + 1):
        Article.objects.filter(slug="prepared-probe").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    # Server-bound: the slug travels as a parameter, not in the statement's text.
    assert any('"articles_article"."slug" = $' in statement for statement in prepared)


def test_the_database_url_keeps_its_connection_options_on_postgresql():
    show = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    env = {"DATABASE_URL": "postgres://forum@db.example:5432/forum?sslmode=verify-full"}
    result = run_manage("shell", "-c", show, env=env)
    assert result.returncode == 0, result.stderr
    assert "'sslmode': 'verify-full'" in result.stdout
    assert "'server_side_binding': True" in result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_the_site_and_compressed_hashed_static_files(tmp_path: Path):

    database_url = test_database_url()
    env = {
        **PRODUCTION_ENV,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_BEHIND_HTTPS_PROXY": "1",
        "DATABASE_URL": database_url,
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    collected = run_manage("collectstatic", "--noinput", env=env)
    assert collected.returncode == 0, collected.stderr
    hashed = list((tmp_path / "static" / "css").glob("forum.*.css"))
    assert hashed, "no hashed stylesheet"
    assert hashed[0].with_name(hashed[0].name + ".gz").exists()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "forum.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        cwd=settings.BASE_DIR,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    assert json.load(response) == {"status": "ok"}
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer")
        request = urllib.request.Request(f"{base}/", headers={"X-Forwarded-Proto": "https"})
        with urllib.request.urlopen(request, timeout=5) as response:
            page = response.read().decode()
            assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        stylesheet = re.search(r'href="(/static/css/forum\.[0-9a-f]+\.css)"', page)[1]
        request = urllib.request.Request(
            f"{base}{stylesheet}", headers={"Accept-Encoding": "gzip", "X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert "immutable" in response.headers["Cache-Control"]
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_only_a_connection_that_sat_idle_is_health_checked(monkeypatch):
    """forum.postgresql: the check's round trip only where a restart may have gone unnoticed."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of the suite")

    def pid() -> int:
        return connection.connection.info.backend_pid

    checks = []
    is_usable = type(connection).is_usable
    monkeypatch.setattr(
        type(connection), "is_usable", lambda self: checks.append(pid()) or is_usable(self)
    )

    def request(sql: str = "SELECT 1") -> None:
        close_old_connections()  # as Django does when a request starts, and when it ends
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            close_old_connections()

    request()
    checks.clear()
    for _ in range(3):
        request()
    assert checks == []  # in steady use: no check
    with pytest.raises(ProgrammingError):
        request("SELECT * FROM no_such_table")  # Django checks it as that request ends
    first = pid()
    connection.healthy_at -= HEALTHY_FOR  # as if it had been idle since that request
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [first])  # as a restart would
    checks.clear()
    request()
    assert checks == [first]  # checked, found dead, and replaced before the query
    assert pid() != first


@pytest.mark.parametrize(
    ("variable", "entries"),
    [("FORUM_RENDERED_CACHE_ENTRIES", "123"), ("FORUM_THREAD_CACHE_ENTRIES", "456")],
)
def test_the_rendered_cache_size_is_read_under_its_name_and_its_former_one(variable, entries):
    code = (
        "from django.conf import settings; "
        "print(settings.CACHES[settings.RENDERED_CACHE]['OPTIONS']['MAX_ENTRIES'])"
    )
    result = run_manage("shell", "-c", code, env={"REDIS_URL": "", variable: entries})
    assert result.stdout.split()[-1] == entries, result.stderr
