"""The page and reply queries keep their plans once the database has planner statistics.

With statistics (ANALYZE, or the PRAGMA optimize an operator or a backup tool may run), SQLite
used to read "the roots of article X" (parent_id IS NULL) through the plain parent_id index,
every root in the database, instead of comment_roots_idx: the page's count and roots queries
went from 0.03 ms to 27-66 ms and a reply's place query took 29 ms inside the write lock
(issue 20). The parent index now holds replies only (comment_parent_idx), so it cannot serve a
roots query whatever the statistics say. These tests run ANALYZE on a forest of several
articles and read the plan of every statement a page and a reply run.
"""

import re

import pytest
from django.db import connection
from django.urls import reverse

from articles.models import Article, Comment

from .helpers import form

TABLE = Comment._meta.db_table
ROOTS = re.compile(r"parent_id\"? IS NULL", re.IGNORECASE)


@pytest.fixture
def forest(db, post) -> Article:
    """Four articles of 12 threads with 4 replies each (more replies than roots, as in a real
    forum), then ANALYZE; returns the first article."""
    articles = [
        Article.objects.create(title=f"記事{n}", slug=f"plans-{n}", lead="リード") for n in range(4)
    ]
    for article in articles:
        for _ in range(12):
            root = post(article, "スレッドの始まり")
            reply = post(article, "返信", parent=root)
            for _ in range(3):
                post(article, "返信の返信", parent=reply)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "postgresql":
            # The tables are small enough to read whole; that would hide which index a
            # statement takes on a large one.
            cursor.execute("SET enable_seqscan = off")
    yield articles[0]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")


def statements_of(run) -> list[tuple[str, tuple]]:
    """The statements (with their parameters) that ``run()`` sends, bar transaction control."""
    seen: list[tuple[str, tuple]] = []

    def capture(execute, sql, params, many, context):
        if not many and re.match(r"\s*(SELECT|UPDATE|DELETE|INSERT)\b", sql, re.IGNORECASE):
            seen.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        run()
    return seen


def plan_of(sql: str, params: tuple) -> str:
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        rows = cursor.fetchall()
    return "\n".join(str(row[-1]) for row in rows)


def comment_scans(plan: str) -> list[str]:
    """Lines of a plan that read the whole comments table."""
    if connection.vendor == "sqlite":
        pattern = rf"\bSCAN {TABLE}\b(?! USING)|\bSCAN \w+\b$"
    else:
        pattern = rf"Seq Scan on {TABLE}\b"
    return [line for line in plan.splitlines() if re.search(pattern, line.strip())]


def uses_index(plan: str, name: str) -> bool:
    return re.search(rf"\b{name}\b", plan) is not None


def check_plans(statements: list[tuple[str, tuple]]) -> list[str]:
    """What is wrong with the plans of statements on the comments table."""
    problems = []
    for sql, params in statements:
        if TABLE not in sql:
            continue
        plan = plan_of(sql, params)
        # Either index of roots only: comment_best_idx (article, best score, number) serves
        # "the roots of an article" as well as comment_roots_idx, and PostgreSQL may take it.
        roots_index = uses_index(plan, "comment_roots_idx") or uses_index(plan, "comment_best_idx")
        wrong_index = uses_index(plan, "comment_parent_idx") or not roots_index
        if ROOTS.search(sql) and wrong_index:
            problems.append(f"roots not read through a roots index:\n{sql}\n{plan}")
        if connection.vendor == "sqlite" and comment_scans(plan):
            problems.append(f"reads every comment:\n{sql}\n{plan}")
    return problems


def roots_query_seen(statements) -> bool:
    return any(ROOTS.search(sql) and TABLE in sql for sql, _ in statements)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("query", ["", "?order=newest", "?order=best", "?page=2", "?all=1"])
def test_article_page_plans_after_analyze(client, forest, query):
    url = forest.get_absolute_url() + query
    statements = statements_of(lambda: client.get(url))
    assert roots_query_seen(statements)
    assert check_plans(statements) == []


@pytest.mark.django_db(transaction=True)
def test_reply_plans_after_analyze(client, forest):
    parent = forest.comments.filter(level=1).order_by("number").first()
    url = reverse("articles:comment_reply", args=[forest.slug, parent.number])

    def reply():
        response = client.post(url, form({"body": f">>{parent.number} プランを確かめる返信"}))
        assert response.status_code == 302

    statements = statements_of(reply)
    assert roots_query_seen(statements)  # the reply's place among the article's threads
    assert check_plans(statements) == []


@pytest.mark.django_db(transaction=True)
def test_a_comments_replies_still_use_the_parent_index(forest):
    """The partial index still serves "the replies of comment X" (deletes cascade by it)."""
    parent = forest.comments.filter(level=0).first()
    queryset = Comment.objects.filter(parent=parent).values_list("pk")
    plan = plan_of(*queryset.query.sql_with_params())
    assert uses_index(plan, "comment_parent_idx"), plan


@pytest.mark.django_db(transaction=True)
def test_reaction_counts_of_cached_threads_read_only_reacted_comments(forest):
    """The counts a page fills into its cached threads come through comment_reacted_idx (the
    few comments with a reaction), not from every comment of the article."""
    from reactions.buttons import thread_counts

    Comment.objects.filter(article=forest, number__in=[1, 7]).update(agree_count=1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    tree_ids = list(forest.comments.filter(level=0).values_list("tree_id", flat=True))
    statements = statements_of(lambda: thread_counts(forest, tree_ids, max_depth=6))
    (sql, params) = statements[0]
    plan = plan_of(sql, params)
    assert uses_index(plan, "comment_reacted_idx"), plan
    assert thread_counts(forest, tree_ids, max_depth=6) == {1: (1, 0, 0), 7: (1, 0, 0)}
