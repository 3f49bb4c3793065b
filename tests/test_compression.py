"""Pages travel gzip-compressed when the client accepts it; static files stay WhiteNoise's."""

import gzip
import re

from django.conf import settings
from django.middleware.csrf import CSRF_TOKEN_LENGTH
from django.middleware.gzip import GZipMiddleware
from django.test import RequestFactory

GZIP = "django.middleware.gzip.GZipMiddleware"


def test_gzip_runs_after_every_middleware_that_writes_the_body_and_never_on_static_files():
    middleware = settings.MIDDLEWARE
    position = middleware.index(GZIP)
    # Below WhiteNoise, which answers static files itself (precompressed .gz, or images that
    # compression only slows): they never reach GZipMiddleware.
    assert middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") < position
    # Above everything that may still change the body or its length on the way out.
    for later in (
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.locale.LocaleMiddleware",
    ):
        assert position < middleware.index(later), later


def test_article_page_is_compressed_when_the_client_accepts_it(client, article, post):
    post(article, "圧縮されるコメント" * 20)
    plain = client.get(article.get_absolute_url())
    packed = client.get(article.get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert int(packed["Content-Length"]) == len(packed.content)
    html = gzip.decompress(packed.content).decode()
    assert "圧縮されるコメント" in html
    assert html.rstrip().endswith("</html>")
    assert len(packed.content) < len(plain.content) / 2
    # The same page but for the per-response CSRF token and CSP nonce.
    assert abs(len(html.encode()) - len(plain.content)) < 200


def test_the_pages_only_secret_changes_with_every_response(client, article):
    """BREACH guesses a secret byte by byte from the compressed size of responses that reflect
    the guess: the CSRF token in a page is masked anew in each response, so there is no fixed
    secret to guess (Django's GZipMiddleware also pads each response by a random length)."""
    tokens = set()
    for _ in range(3):
        html = client.get(article.get_absolute_url()).content.decode()
        found = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert found
        assert all(len(token) == CSRF_TOKEN_LENGTH for token in found)
        tokens.update(found)
    assert len(tokens) >= 3


def test_compressed_size_of_one_body_varies_from_response_to_response(rf: RequestFactory):
    from django.http import HttpResponse

    body = ("<p>" + "同じ本文 " * 500 + "</p>").encode()
    sizes = set()
    for _ in range(20):
        request = rf.get("/", HTTP_ACCEPT_ENCODING="gzip")
        response = GZipMiddleware(lambda request: HttpResponse(body))(request)
        assert gzip.decompress(response.content) == body
        sizes.add(len(response.content))
    assert len(sizes) > 1
