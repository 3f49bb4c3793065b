"""Move the search index's newest entries into its main structure, away from readers' requests.

On PostgreSQL new comments enter the trigram index's pending list (searched like the rest);
moving them in bulk is the slow part, and this does it in the background (``search.index``).
Run it every minute or so from a timer; autovacuum does it too where it runs.
"""

from django.core.management.base import BaseCommand
from django.db import connection

from search import index


class Command(BaseCommand):
    help = "Move the search index's pending entries into its main structure (run it every minute)."

    def handle(self, *args, **options) -> None:
        pages = index.flush_pending(connection)
        self.stdout.write(self.style.SUCCESS(f"Search index: {pages} pending pages moved."))
