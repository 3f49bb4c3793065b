"""Import a WordPress site's posts and comments: ``python manage.py import_wordpress FILE...``.

Reads WordPress eXtended RSS exports (Tools → Export). Each file is read through once to check it
is well-formed, then again to write it, an article (with its comments) per transaction: a
malformed file stops the run with ``FILE:LINE:COLUMN`` before anything of it is written. Running it
again changes nothing; a newer export of the same site updates what changed and adds what is new.
"""

from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.importers import wordpress
from articles.importers.ahead import read_ahead
from articles.importers.progress import file_progress
from articles.importers.writer import ArticleData, CommentData, Summary, write_article
from articles.importers.wxr import ImportFileError, WxrPost, WxrSite, check_wxr, read_wxr
from articles.models import Article


def print_summary(command: BaseCommand, summary: Summary, *, dry_run: bool) -> None:
    title = "Summary (dry run: nothing was written)" if dry_run else "Summary"
    command.stdout.write(title)
    for name, count in sorted(summary.counts.items()):
        command.stdout.write(f"  {name}: {count}")
    if summary.orphans:
        command.stdout.write(
            f"  replies whose parent is missing, kept as threads: {len(summary.orphans)}"
        )
        for orphan in summary.orphans:
            command.stdout.write(f"    {orphan}")
    for note in summary.notes:
        command.stdout.write(f"  {note}")


class Command(BaseCommand):
    help = "Import published posts and their comments from WordPress export (WXR) files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="WXR files (WordPress: Tools → Export)")
        parser.add_argument(
            "--dry-run", action="store_true", help="print the summary; write nothing"
        )

    def handle(self, *args, files: list[str], dry_run: bool, **options) -> None:
        summary = Summary()
        for name in files:
            path = Path(name)
            try:
                summary.notes.extend(self._check(path))
                self._import(path, summary, dry_run=dry_run)
            except ImportFileError as error:
                raise CommandError(str(error)) from error
        print_summary(self, summary, dry_run=dry_run)

    def _check(self, path: Path) -> list[str]:
        """Read the whole file without writing: a malformed one raises before anything is.
        Return its notes (times that are not times)."""
        return check_wxr(path)

    def _import(self, path: Path, summary: Summary, *, dry_run: bool) -> None:
        with file_progress(self.stderr, path) as progress:
            for post, reason, data, comments, read in read_ahead(_prepared(path, progress)):
                summary.add(read)
                if reason is not None:
                    summary.counts[f"skipped: {reason}"] += 1
                    if (
                        post.type in wordpress.ARTICLE_TYPES
                        and post.id
                        and Article.objects.filter(import_ref=data.ref).exists()
                    ):
                        # Imported before and no longer public there: no longer public here.
                        _article, done = write_article(data, [], dry_run=dry_run)
                        summary.add(done)
                    continue
                _article, done = write_article(data, comments, dry_run=dry_run)
                summary.add(done)


def _prepared(
    path: Path, progress
) -> Iterator[tuple[WxrPost, str | None, ArticleData, list[CommentData], Summary]]:
    """Each post of the file with why it is skipped (or None), its article and comments as they
    are to be written, and the summary of reading them. No database work: run in a thread."""
    site = WxrSite()
    for post in read_wxr(path, site=site, progress=progress):
        key = wordpress.site_key(site, path)
        read = Summary()
        reason = wordpress.skip_reason(post)
        public = reason is None
        data = wordpress.article_data(post, key, public=public, site_authors=site.authors)
        comments = wordpress.comment_data(post, read, f"{path}: post {post.id}") if public else []
        yield post, reason, data, comments, read
