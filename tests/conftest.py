import shutil
from collections.abc import Callable
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.conf import settings

from articles import services
from articles.forms import form_token
from articles.models import Article, Comment

SEED_NAME = "000_fa0796958162b6f6"


@pytest.fixture(autouse=True)
def _quick_posting_allowed(settings):
    """Tests post fast and often from one address; the abuse tests set their own limits."""
    settings.FORUM_RATE_LIMITS = {"burst": (10_000, 30), "hourly": (10_000, 3600)}
    settings.FORUM_FORM_MIN_SECONDS = 0


@pytest.fixture(autouse=True)
def _empty_thread_cache():
    """Each test starts with no rendered threads cached: ids repeat from test to test."""
    from django.core.cache import caches

    caches["threads"].clear()


def form(data: dict) -> dict:
    """Comment form data as a browser sends it, with the signed timestamp of the page."""
    return {"issued": form_token(), **data}


@pytest.fixture
def seed_dir(tmp_path: Path) -> Path:
    """A copy of the shipped seed and its companion, free to edit."""
    for suffix in (".txt", ".comments"):
        shutil.copy(Path(settings.SEEDS_DIR) / f"{SEED_NAME}{suffix}", tmp_path)
    return tmp_path


@pytest.fixture
def article(db) -> Article:
    return Article.objects.create(title="テスト記事", slug="test-article", lead="リード")


@pytest.fixture
def other_article(db) -> Article:
    return Article.objects.create(title="別の記事", slug="other-article", lead="リード")


@pytest.fixture
def post() -> Callable[..., Comment]:
    """Post a comment through the services, as the site does."""

    def post(article: Article, body: str = "コメント", parent: Comment | None = None) -> Comment:
        return services.comment_create(article=article, parent=parent, body=body)

    return post


@pytest.fixture
def seeded(db, seed_dir: Path) -> Article:
    """The shipped seed article, imported."""
    from django.core.management import call_command

    call_command("import_seeds", str(seed_dir), stdout=StringIO(), stderr=StringIO())
    return Article.objects.get()


@pytest.fixture
def moderator(db):
    """A staff user in the moderators group: not a superuser."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user("moderator", password="mod-password-123", is_staff=True)
    user.groups.add(Group.objects.get(name="moderators"))
    return user


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


@pytest.fixture
def thread(article, post) -> Article:
    """#1 with replies #2 (itself answered by #3) and #4; #5 a second thread."""
    first = post(article, "一")
    second = post(article, "二", parent=first)
    post(article, "三", parent=second)
    post(article, "四", parent=first)
    post(article, "五")
    return article


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


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    """Uploaded files go to a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def image_bytes(width: int = 1200, height: int = 800, image_format: str = "PNG") -> bytes:
    """A real image, made with Pillow."""
    from PIL import Image as PillowImage

    out = BytesIO()
    PillowImage.new("RGB", (width, height), (200, 40, 40)).save(out, image_format)
    return out.getvalue()


@pytest.fixture
def mixed(article: Article) -> dict[str, Comment]:
    """A thread of every kind of comment: only those named "public…" are for readers."""

    def create(body: str, *, parent: Comment | None = None, name: str = "") -> Comment:
        return services.comment_create(article=article, parent=parent, body=body, author_name=name)

    root = create("公開の最初", name="太郎")
    made = {
        "public_root": root,
        "public_reply": create("公開の返信 <b>太字</b>", parent=root),
        "hidden": create("非表示", parent=root),
        "removed": create("削除済み", parent=root),
        "deleted": create("本人削除", parent=root),
        "held": create("承認待ち", parent=root),
    }
    # Replies are made while their parents are still published: nobody may answer a comment
    # readers cannot see, but a comment may be held or hidden, or moved, after it has answers.
    made["under_held"] = create("承認待ちへの返信", parent=made["held"])
    made["public_under_hidden"] = create("非表示への返信", parent=made["hidden"])
    for name, status in (
        ("held", Comment.Status.PENDING),
        ("hidden", Comment.Status.HIDDEN),
        ("removed", Comment.Status.REMOVED),
        ("deleted", Comment.Status.DELETED),
    ):
        services.comment_set_status(comment=made[name], status=status, moderator=None)
    return made
