"""Helpers the tests import: plain functions and constants, not fixtures (those are in conftest)."""

from io import BytesIO

from django.conf import settings
from django.test import Client

from articles import services
from articles.forms import form_token
from articles.models import Article, Comment

SEED_NAME = "000_fa0796958162b6f6"


def form(data: dict) -> dict:
    """Comment form data as a browser sends it, with the signed timestamp of the page."""
    return {"issued": form_token(), **data}


def reader(address: str = "198.51.100.7") -> Client:
    """A browser of its own, at an address of its own, reading in Japanese."""
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="ja")


def numbered(article: Article) -> dict[int, Comment]:
    return {c.number: c for c in article.comments.all()}


def test_database_url() -> str:
    """DATABASE_URL for another process to reach the test database (committed data only)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


def count_in_two_processes(env: dict[str, str]) -> list[int]:
    """Run the same within_limit loop in two processes at once; how many hits each was allowed."""
    import os
    import subprocess
    import sys

    script = (
        "import django; django.setup()\n"
        "from articles.abuse.limits import Limit, within_limit\n"
        "print(sum(within_limit('shared', Limit('test', 50, 3600)) for _ in range(40)))\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=settings.BASE_DIR,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "forum.settings", **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    allowed = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        allowed.append(int(out))
    return allowed


def grow_thread(article: Article, root: Comment, size: int, parent_of) -> list[Comment]:
    """Add size replies under root at once; reply n answers the comment parent_of(n) picks.

    Laid out in bulk and then rebuilt by the service (posting a thousand replies one by one
    rewrites the tree a thousand times, which is slow on PostgreSQL and tests nothing here).
    """
    nodes = [root]
    start = article.comments.count()
    with Comment.objects.disable_mptt_updates():
        for n in range(size):
            reply = Comment(
                article=article,
                parent=nodes[parent_of(n, len(nodes))],
                number=start + n + 1,
                body=f"返信{n}",
                tree_id=root.tree_id,
                # Out of the way until the rebuild lays them out.
                lft=10**6 + 2 * n,
                rght=10**6 + 2 * n + 1,
                level=0,
            )
            reply.save()
            nodes.append(reply)
    Article.objects.filter(pk=article.pk).update(last_comment_number=start + size)
    article.refresh_from_db()
    services.comment_trees_rebuild(article=article)
    return list(Comment.objects.filter(pk__in=[n.pk for n in nodes]))


def tree_shape(article: Article) -> str:
    """The article's comments as indented text ("#number body"), in tree order."""
    return "\n".join(
        f"{'  ' * c.level}#{c.number} {c.body.splitlines()[0]}"
        for c in Comment.objects.filter(article=article).order_by("tree_id", "lft")
    )


def image_bytes(width: int = 1200, height: int = 800, image_format: str = "PNG") -> bytes:
    """A real image, made with Pillow."""
    from PIL import Image as PillowImage

    out = BytesIO()
    PillowImage.new("RGB", (width, height), (200, 40, 40)).save(out, image_format)
    return out.getvalue()
