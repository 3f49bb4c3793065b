"""A process killed in the middle of a post loses nothing it had acknowledged, and leaves nothing
half-written: every acknowledged comment is there, the trees are sound, the database is whole, and
the next post goes through."""

import os
import signal
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from articles import services
from articles.models import Article, Comment
from articles.tree_checks import find_tree_problems

from .helpers import test_database_url

# Posts replies, printing each one's number once comment_create has returned (committed); then
# starts one more post and stops inside its tree write, after the rows were shifted to make room,
# to be killed there.
WRITER = """
import sys, time
import django
django.setup()
from articles import services
from articles.models import Article, Comment
from articles.sql import comments as comments_sql

article = Article.objects.get(slug="crash-test")
root = Comment.objects.get(article=article, number=1)
for index in range(int(sys.argv[1])):
    parent = root if index % 3 == 0 else Comment.objects.get(article=article, number=index + 1)
    comment = services.comment_create(article=article, parent=parent, body=f"ack {index}")
    print("acknowledged", comment.number, flush=True)

make_room = comments_sql.make_room

def stuck(*args, **kwargs):
    make_room(*args, **kwargs)
    print("inside", flush=True)
    time.sleep(120)

comments_sql.make_room = stuck
services.comment_create(article=article, parent=root, body="never acknowledged")
print("returned", flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_a_writer_killed_mid_post_loses_nothing_it_acknowledged():
    article = Article.objects.create(title="クラッシュ", slug="crash-test", lead="リード")
    root = services.comment_create(article=article, parent=None, body="最初のコメント")
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, "12"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "forum.settings",
            "DATABASE_URL": test_database_url(),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acknowledged = []
    try:
        for line in writer.stdout:
            if line.startswith("acknowledged"):
                acknowledged.append(int(line.split()[1]))
            elif line.startswith("inside"):
                writer.send_signal(signal.SIGKILL)
                break
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    assert writer.returncode == -signal.SIGKILL, writer.stderr.read()
    assert len(acknowledged) == 12

    comments = Comment.objects.filter(article=article)
    stored = set(comments.values_list("number", flat=True))
    assert set(acknowledged) <= stored
    assert stored == {root.number, *acknowledged}  # the killed post left nothing behind
    assert not comments.filter(body="never acknowledged").exists()
    assert find_tree_problems(comments) == {}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            assert cursor.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # The killed writer's lock went with it: the next post goes through.
    after = services.comment_create(article=article, parent=root, body="その後の返信")
    assert find_tree_problems(Comment.objects.filter(article=article)) == {}
    # (The killed post may have used up a number: numbers commit apart from the comment.)
    assert after.number > max(acknowledged)


@pytest.mark.django_db
def test_sqlite_commits_survive_a_crash_of_the_process():
    """WAL with synchronous=NORMAL: a commit is written to the WAL file before it returns, so a
    killed process loses none; only a power cut or an operating system crash may lose the last
    commits before a checkpoint (FULL would sync every commit to disk for that)."""
    if connection.vendor != "sqlite":
        pytest.skip("runs in the SQLite pass of the suite")
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA synchronous").fetchone()[0] in (1, 2)  # NORMAL, FULL
