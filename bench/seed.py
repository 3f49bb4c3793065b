"""A deterministic data set: articles whose comments form realistic forests, written in bulk.

Posting 50,000 comments one by one through ``comment_create`` would take far too long, so each
article's comments are built in memory (who answers whom, then the nested sets of each thread in
one depth-first pass) and inserted with ``bulk_create`` in posting order, parents before their
replies. The ids are chosen here too, so that a reply can name its parent before either is saved.
"""

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from articles.models import Article, Block, Comment, ReplyRef
from articles.text import render_stored_body

SEED = 20_241_124
BATCH_SIZE = 5_000
# Flush the buffered comments of whole articles once this many are waiting.
FLUSH_AT = 20_000

TOP_LEVEL_SHARE = 0.30
# A reply answers an earlier comment this many comments back on average (exponentially
# distributed): readers mostly answer what they have just read.
RECENCY = 20
# Depth capped at 10 levels: top-level comments are at level 0, the deepest replies at level 9.
MAX_LEVEL = 9
BODY_LENGTHS = (50, 400)
STATUS_WEIGHTS = (
    (Comment.Status.PUBLISHED, 0.985),
    (Comment.Status.REMOVED, 0.01),
    (Comment.Status.HIDDEN, 0.005),
)

JA_PHRASES = (
    "インドは核実験で制裁されたのを忘れてないんでしょう",
    "アメリカに依存しすぎると制裁されたら折れるしかなくなる",
    "真の独立性を得るために必要な選択",
    "違うね",
    "印パ戦争で西側諸国から制裁を受けたからだね",
    "これ前の政権だったらどう対処できてたかなあw",
    "誰が考えても無理がある",
    "協力できるところ以外までは縛らないほうがいい",
    "その法律、名前が悪いな",
    "結局中国に利するという皮肉な話",
    "日本はこういう場合いい意味でなぁなぁで付き合う",
    "ソースはどこ？",
    "記事の内容と関係ないけど",
    "円安がどこまで続くか心配だ",
    "昔はこうじゃなかった気がする",
    "それな",
    "草",
    "整備運用面でのサポートがないと話にならない",
    "面子と対中包囲網を維持できればやむを得ん",
    "自国の政策が気に入らなければ別に構想から外れてもいい",
    "という考えなんだろう",
    "まあ、現実的に考えればそうなる",
    "予算の問題もあるし簡単じゃない",
    "専門家の意見も聞いてみたい",
    "続報を待ちたい",
    "なるほど、勉強になります",
    "それは言い過ぎでは",
    "半導体の供給網はどうなるんだろう",
    "ロシア製兵器のインフラが出来上がってる国に言ってもなあ",
    "名無しさんの言う通りだと思う",
)
ASCII_WORDS = (
    "GDP",
    "2024",
    "AI",
    "OK",
    "www",
    "USD/JPY 150",
    "iPhone",
    "CPU",
    "F-35",
    "MiG-35",
    "S-400",
    "CAATSA",
    "NATO",
    "QUAD",
    "lol",
    "IMO",
    "BTW",
    "e.g.",
    "100km",
    "3.5%",
    "No.1",
    "Q&A",
    "https://example.com/news/12345",
)
SEPARATORS = ("。", "、", " ", "！", "？", "\n", "。\n", "…")
NAMES = ("通りすがり", "名無しの軍事オタ", "tanaka", "ABC", "匿名希望", "taro_1985", "ななし")


@dataclass
class Totals:
    """What was written, for the report."""

    articles: int = 0
    comments: int = 0
    seconds: float = 0.0
    threads: dict[str, dict[str, int]] = field(default_factory=dict)


def body_text(rng: random.Random) -> str:
    """A comment body of 50–400 characters, mostly Japanese with some ASCII."""
    length = rng.randint(*BODY_LENGTHS)
    parts: list[str] = []
    size = 0
    while size < length:
        piece = rng.choice(ASCII_WORDS) if rng.random() < 0.2 else rng.choice(JA_PHRASES)
        parts.append(piece)
        parts.append(rng.choice(SEPARATORS))
        size += len(piece) + 1
    text = "".join(parts)[:length].strip()
    return text if len(text) >= BODY_LENGTHS[0] else (text + "。" + JA_PHRASES[0] * 3)[:length]


def forest(rng: random.Random, count: int) -> tuple[list[int], list[int]]:
    """Who each comment (in posting order) answers, -1 for a new thread, and its level."""
    parents: list[int] = []
    levels: list[int] = []
    for index in range(count):
        if index == 0 or rng.random() < TOP_LEVEL_SHARE:
            parents.append(-1)
            levels.append(0)
            continue
        back = min(int(rng.expovariate(1 / RECENCY)), index - 1)
        parent = index - 1 - back
        while levels[parent] >= MAX_LEVEL:
            # Too deep: answer the comment it answers instead.
            parent = parents[parent]
        parents.append(parent)
        levels.append(levels[parent] + 1)
    return parents, levels


def nested_sets(parents: list[int]) -> list[tuple[int, int, int]]:
    """(thread index, lft, rght) of each comment; replies in posting order, as comment_create."""
    children: list[list[int]] = [[] for _ in parents]
    roots: list[int] = []
    for index, parent in enumerate(parents):
        (roots if parent < 0 else children[parent]).append(index)
    result = [(0, 0, 0)] * len(parents)
    lft: dict[int, int] = {}
    for thread, root in enumerate(roots):
        counter = 0
        # Depth-first without recursion: (comment, leaving).
        stack = [(root, False)]
        while stack:
            index, leaving = stack.pop()
            counter += 1
            if leaving:
                result[index] = (thread, lft.pop(index), counter)
                continue
            lft[index] = counter
            stack.append((index, True))
            stack.extend((child, False) for child in reversed(children[index]))
    return result


def thread_stats(parents: list[int]) -> dict[str, int]:
    sizes: dict[int, int] = {}
    root_of: list[int] = []
    for index, parent in enumerate(parents):
        root = index if parent < 0 else root_of[parent]
        root_of.append(root)
        sizes[root] = sizes.get(root, 0) + 1
    return {"comments": len(parents), "threads": len(sizes), "largest": max(sizes.values())}


class Writer:
    """Buffers whole articles' comments and writes them in bulk, each flush in one transaction."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.comments: list[Comment] = []
        self.refs: list[ReplyRef] = []
        aggregates = Comment.objects.aggregate(Max("pk"), Max("tree_id"))
        self.next_id = (aggregates["pk__max"] or 0) + 1
        self.next_tree_id = (aggregates["tree_id__max"] or 0) + 1
        self.written = 0

    def add_article(self, article: Article, count: int, start: datetime) -> dict[str, int]:
        """Build the article's comments in memory; return the shape of its forest."""
        rng = self.rng
        parents, levels = forest(rng, count)
        sets = nested_sets(parents)
        ids = list(range(self.next_id, self.next_id + count))
        tree_ids: dict[int, int] = {}
        posted_at = start
        statuses = [status for status, _ in STATUS_WEIGHTS]
        weights = [weight for _, weight in STATUS_WEIGHTS]
        url = article.get_absolute_url()
        for index in range(count):
            parent = parents[index]
            thread, lft, rght = sets[index]
            if thread not in tree_ids:
                tree_ids[thread] = self.next_tree_id
                self.next_tree_id += 1
            body = body_text(rng)
            if parent >= 0 and rng.random() < 0.25:
                # Answering with >>N, as readers of these blogs do: it makes a back-link.
                body = f">>{parent + 1}\n{body}"
                self.refs.append(
                    ReplyRef(article_id=article.pk, source_id=ids[index], target_number=parent + 1)
                )
            status = rng.choices(statuses, weights)[0]
            posted_at += timedelta(seconds=rng.expovariate(1 / 30))
            self.comments.append(
                Comment(
                    id=ids[index],
                    article_id=article.pk,
                    parent_id=ids[parent] if parent >= 0 else None,
                    number=index + 1,
                    body=body,
                    body_html=render_stored_body(body, article_url=url, number=index + 1),
                    author_name=rng.choice(NAMES) if rng.random() < 0.3 else "",
                    created_at=posted_at,
                    status=status,
                    moderated_at=posted_at if status != Comment.Status.PUBLISHED else None,
                    moderation_reason="bench" if status != Comment.Status.PUBLISHED else "",
                    tree_id=tree_ids[thread],
                    lft=lft,
                    rght=rght,
                    level=levels[index],
                )
            )
        self.next_id += count
        if len(self.comments) >= FLUSH_AT:
            self.flush()
        return {**thread_stats(parents), "deepest": max(levels)}

    def flush(self) -> None:
        if not self.comments:
            return
        with transaction.atomic(), Comment.objects.disable_mptt_updates():
            Comment.objects.bulk_create(self.comments, batch_size=BATCH_SIZE)
            ReplyRef.objects.bulk_create(self.refs, batch_size=BATCH_SIZE)
        self.written += len(self.comments)
        self.comments, self.refs = [], []

    def finish(self) -> None:
        """Write what is left and move the id sequence past the ids chosen here."""
        self.flush()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Comment]):
                cursor.execute(sql)


def _paragraphs(rng: random.Random, article: Article, count: int) -> Iterator[Block]:
    for position in range(1, count + 1):
        text = "".join(rng.choice(JA_PHRASES) + "。" for _ in range(rng.randint(3, 8)))
        yield Block(article=article, position=position, text=text)


def seed_hot(rng: random.Random, totals: Totals, sizes: tuple[int, ...]) -> list[Article]:
    """The hot articles, ``bench-hot-<size>``, with these many comments."""
    now = timezone.now()
    writer = Writer(rng)
    articles = []
    for rank, size in enumerate(sizes):
        article = Article.objects.create(
            title=f"ベンチマーク記事 {size:,} 件のコメント",
            slug=f"bench-hot-{size}",
            lead="インドのMiG-35調達をめぐる議論。" * 3,
            published_at=now - timedelta(hours=rank + 1),
            last_comment_number=size,
        )
        Block.objects.bulk_create(_paragraphs(rng, article, 8))
        start = now - timedelta(days=10)
        totals.threads[article.slug] = writer.add_article(article, size, start)
        articles.append(article)
    writer.finish()
    totals.articles += len(articles)
    totals.comments += writer.written
    return articles


def background_sizes(rng: random.Random, count: int) -> list[int]:
    """Comment counts of background articles adding up to ``count``: most small, a few large."""
    sizes: list[int] = []
    while count > 0:
        size = min(max(int(rng.lognormvariate(5.5, 0.9)), 20), 3_000, count)
        sizes.append(size)
        count -= size
    return sizes


def seed_background(rng: random.Random, comments_total: int, totals: Totals) -> None:
    """Older articles, until the database holds ``comments_total`` comments."""
    missing = comments_total - Comment.objects.count()
    if missing <= 0:
        return
    sizes = background_sizes(rng, missing)
    first = Article.objects.filter(slug__startswith="bench-bg-").count()
    now = timezone.now()
    articles = Article.objects.bulk_create(
        [
            Article(
                title=f"過去記事 {first + index + 1}",
                slug=f"bench-bg-{first + index + 1:06d}",
                lead="過去の記事です。",
                published_at=now - timedelta(days=2, hours=first + index),
                last_comment_number=size,
            )
            for index, size in enumerate(sizes)
        ],
        batch_size=BATCH_SIZE,
    )
    Block.objects.bulk_create(
        [p for article in articles for p in _paragraphs(rng, article, 3)], batch_size=BATCH_SIZE
    )
    writer = Writer(rng)
    for article, size in zip(articles, sizes, strict=True):
        writer.add_article(article, size, article.published_at)
    writer.finish()
    totals.articles += len(articles)
    totals.comments += writer.written


def vacuum_analyze() -> None:
    """Fresh statistics and visibility maps, as autovacuum would leave a live database; then
    the seeding's writes flushed to disk, so that the measurements after it do not share the
    machine with PostgreSQL's checkpointer and the kernel writing back gigabytes of them."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")
    os.sync()
