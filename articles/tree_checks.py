"""Checks that comment trees are sound nested sets that agree with their parent links."""

from collections import defaultdict
from itertools import groupby

from .models import Comment

TreeProblems = dict[int, list[str]]


def find_tree_problems(comments=None) -> TreeProblems:
    """Return, by tree id, what is wrong with each broken tree holding these comments (or any).

    A sound tree has one root, at level 0 with ``lft`` 1; its ``lft``/``rght`` values are exactly
    1…2n; and every reply lies inside its parent, in the same tree and article, one level deeper.
    """
    if comments is None:
        comments = Comment.objects.all()
    tree_ids = comments.values("tree_id").distinct()
    rows = (
        Comment.objects.filter(tree_id__in=tree_ids)
        .order_by("tree_id", "lft")
        .values_list("pk", "parent_id", "tree_id", "lft", "rght", "level", "article_id")
    )
    problems: TreeProblems = defaultdict(list)
    for tree_id, tree_rows in groupby(rows.iterator(chunk_size=2000), key=lambda row: row[2]):
        nodes = {row[0]: row for row in tree_rows}
        roots = [row for row in nodes.values() if row[1] is None]
        if len(roots) != 1:
            problems[tree_id].append(f"{len(roots)} roots instead of one")
        for pk, _parent, _tree, lft, _rght, level, _article in roots:
            if lft != 1 or level != 0:
                problems[tree_id].append(f"root {pk} has lft {lft} and level {level}")
        bounds = sorted([row[3] for row in nodes.values()] + [row[4] for row in nodes.values()])
        if bounds != list(range(1, 2 * len(nodes) + 1)):
            problems[tree_id].append(f"lft/rght values are not exactly 1…{2 * len(nodes)}")
        for pk, parent_id, _tree, lft, rght, level, article_id in nodes.values():
            if lft >= rght:
                problems[tree_id].append(f"comment {pk} has lft ≥ rght")
            if parent_id is None:
                continue
            parent = nodes.get(parent_id)
            if parent is None:
                problems[tree_id].append(f"comment {pk} has its parent in another tree")
                continue
            if not (parent[3] < lft and rght < parent[4]):
                problems[tree_id].append(f"comment {pk} lies outside its parent {parent_id}")
            if level != parent[5] + 1:
                problems[tree_id].append(
                    f"comment {pk} is at level {level} under a parent at level {parent[5]}"
                )
            if article_id != parent[6]:
                problems[tree_id].append(f"comment {pk} replies to a comment on another article")
    return dict(problems)
