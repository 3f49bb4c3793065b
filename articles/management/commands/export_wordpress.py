"""Export the site's articles and comments as WordPress eXtended RSS 1.2:
``python manage.py export_wordpress [--output FILE] [--article SLUG] [--site-url URL]``.

Written as it is read, an article at a time, so a big site needs little memory. Only published
articles (scheduled ones as WordPress's ``future``) and never an e-mail or IP address.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.importers.export import export_wxr
from articles.models import Article


def default_site_url() -> str:
    hosts = [h for h in settings.ALLOWED_HOSTS if h not in ("*", "") and not h.startswith(".")]
    return f"https://{hosts[0]}" if hosts else "http://localhost"


class Command(BaseCommand):
    help = "Write published articles and their comments as a WordPress export (WXR 1.2)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="the file to write (default: standard output)")
        parser.add_argument("--article", action="append", metavar="SLUG", help="only this article")
        parser.add_argument(
            "--site-url",
            default=None,
            help="the site's address, for the articles' links (default: from ALLOWED_HOSTS)",
        )

    def handle(self, *args, output: str | None, article: list[str] | None, site_url, **options):
        articles = Article.objects.filter(status=Article.Status.PUBLISHED).select_related(
            "author", "section"
        )
        if article:
            articles = articles.filter(slug__in=article)
            missing = set(article) - set(articles.values_list("slug", flat=True))
            if missing:
                raise CommandError(
                    f"no published article with the slug {', '.join(sorted(missing))}"
                )
        articles = articles.order_by("published_at", "pk")
        authors = get_user_model().objects.filter(articles__in=articles).distinct().order_by("pk")
        pieces = export_wxr(
            articles.iterator(chunk_size=100),
            site_url=site_url or default_site_url(),
            authors=authors.iterator(),
        )
        if output is None:
            for piece in pieces:
                self.stdout.write(piece, ending="")
            return
        with open(output, "w", encoding="utf-8", newline="\n") as file:
            for piece in pieces:
                file.write(piece)
