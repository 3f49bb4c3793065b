"""Mail the daily digest of unread replies to every account that chose it.

Run once a day, from cron or a systemd timer (README "E-mail"): the mails themselves are queued
and sent by ``manage.py db_worker``.
"""

from django.core.management.base import BaseCommand

from notifications.digest import digests_send


class Command(BaseCommand):
    help = "Queue the daily digest mail of unread replies for every account that chose it."

    def handle(self, *args, **options) -> None:
        count = digests_send()
        self.stdout.write(self.style.SUCCESS(f"{count} digest mail(s) queued."))
