"""Report broken comment trees: ``python manage.py check_comment_trees [--repair]``.

A tree is broken when its nested sets disagree with the parent links (something wrote to it
without the tree lock). ``--repair`` rebuilds the articles holding broken trees from their parent
links, under the trees' locks. Exits non-zero while broken trees remain.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles import services
from articles.models import Article, Comment
from articles.tree_checks import find_tree_problems


class Command(BaseCommand):
    help = "Check every comment tree's nested sets against its parent links; optionally repair."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--repair", action="store_true", help="rebuild broken trees from their parent links"
        )

    def handle(self, *args, repair: bool, **options) -> None:
        problems = find_tree_problems()
        if not problems:
            trees = Comment.objects.filter(parent=None).count()
            self.stdout.write(self.style.SUCCESS(f"All {trees} comment trees are sound."))
            return
        for tree_id, found in sorted(problems.items()):
            for problem in found:
                self.stdout.write(f"tree {tree_id}: {problem}")
        if not repair:
            raise CommandError(f"{len(problems)} broken trees; run with --repair to rebuild them.")
        articles = Article.objects.filter(comments__tree_id__in=problems).distinct()
        for article in articles:
            changed = services.comment_trees_rebuild(article=article)
            self.stdout.write(f"{article.slug}: rebuilt, {changed} comments changed")
        remaining = find_tree_problems()
        if remaining:
            raise CommandError(f"{len(remaining)} trees are still broken after the repair.")
        self.stdout.write(self.style.SUCCESS("Repaired."))
