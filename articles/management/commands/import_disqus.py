"""Import a Disqus export's threads and comments: ``python manage.py import_disqus FILE...``.

Each thread becomes an article, matched to one already here by its URL (``source_url``) or
created; its posts keep their replies. Deleted posts become the removed placeholder (their replies
stay), spam is left out, posts of a thread not in the file and threads with no posts are reported
and skipped. Running it again changes nothing; each thread is written in one transaction, and a
malformed file stops the run before anything of it is written. The file is read once into a
spool on disk (``importers.disqus``) and written a thread at a time: memory holds one thread.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.abuse.addresses import ip_hash
from articles.importers.disqus import DisqusExport, DisqusPost, DisqusThread, read_disqus
from articles.importers.html import plain_text, text_from_html
from articles.importers.progress import file_progress
from articles.importers.writer import (
    ArticleData,
    CommentData,
    Summary,
    clean_body,
    clean_name,
    write_article,
)
from articles.importers.wxr import ImportFileError
from articles.management.commands.import_wordpress import print_summary
from articles.models import Comment

# A deleted post's text is never shown (readers see the removed placeholder); this stands in
# where Disqus kept none, as a comment cannot be empty.
DELETED_TEXT = "[deleted on Disqus]"


def _comment(post: DisqusPost, thread: DisqusThread, summary: Summary) -> CommentData | None:
    if post.spam:
        summary.counts["spam comments left out"] += 1
        return None
    if not post.id:
        summary.notes.append(f"thread {thread.id}: a post without an id was left out")
        return None
    try:
        body = clean_body(text_from_html(post.message), summary)
        name = clean_name(plain_text(post.author))
    except ValidationError:
        body, name = "", ""
    status = Comment.Status.PUBLISHED
    if post.deleted:
        status = Comment.Status.REMOVED
        body = body or DELETED_TEXT
    if not body:
        summary.counts["empty comments left out"] += 1
        return None
    return CommentData(
        ref=f"disqus:{post.id}",
        parent_ref=f"disqus:{post.parent_id}" if post.parent_id else None,
        body=body,
        author_name=name,
        created_at=post.created_at or thread.created_at,  # else the article's (writer)
        status=status,
        ip_hash=ip_hash(post.ip) if post.ip else "",
        sort_key=(int(post.id) if post.id.isdigit() else 0,),
    )


class Command(BaseCommand):
    help = "Import threads and comments from Disqus export files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="Disqus XML exports")
        parser.add_argument(
            "--dry-run", action="store_true", help="print the summary; write nothing"
        )

    def handle(self, *args, files: list[str], dry_run: bool, **options) -> None:
        summary = Summary()
        for name in files:
            path = Path(name)
            try:
                with file_progress(self.stderr, path) as progress:
                    export = read_disqus(path, progress=progress)
            except ImportFileError as error:
                raise CommandError(str(error)) from error
            with export:
                summary.notes.extend(export.notes)
                self._import(path, export, summary, dry_run=dry_run)
        print_summary(self, summary, dry_run=dry_run)

    def _import(self, path: Path, export: DisqusExport, summary: Summary, *, dry_run: bool) -> None:
        for thread_id, count in export.missing_threads():
            summary.counts["comments of a missing thread skipped"] += count
            summary.notes.append(
                f"{path}: {count} posts of thread {thread_id or '(none)'}, which is not "
                "in the file, were skipped"
            )
        for thread, posts in export.threads():
            if thread.deleted:
                summary.counts["deleted threads skipped"] += 1
                continue
            comments = [c for p in posts if (c := _comment(p, thread, summary))]
            if not comments:
                summary.counts["empty threads skipped"] += 1
                summary.notes.append(f"{path}: thread {thread.id} ({thread.link}) is empty")
                continue
            data = ArticleData(
                ref=f"disqus:{thread.id}",
                title=plain_text(thread.title) or thread.link,
                source_url=thread.link if thread.link.startswith(("http://", "https://")) else "",
                published_at=thread.created_at,
                comments_open=not thread.closed,
                match_source_url=True,
            )
            _article, done = write_article(data, comments, dry_run=dry_run)
            summary.add(done)
