"""Django's PostgreSQL backend, with a health check that leaves connections in steady use alone.

With CONN_HEALTH_CHECKS, Django asks a reused connection ``SELECT 1`` before the first query of
each request: one more round trip for every page and every post. A connection that served a
request without an error less than HEALTHY_FOR seconds ago is taken as alive instead; one idle
for longer, which a database restart is likelier to have broken unnoticed, is still checked. A
connection that breaks under steady use fails the request that meets it and is then replaced, as
it would be without health checks.
"""

import time

from django.db.backends.postgresql import base

HEALTHY_FOR = 5.0  # seconds


class DatabaseWrapper(base.DatabaseWrapper):
    healthy_at = float("-inf")  # when this connection last served a request without an error
    used = False  # whether the current request has used it

    def close_if_health_check_failed(self) -> None:
        self.used = True  # Django calls this before each use of the connection
        if self.connection is not None and time.monotonic() - self.healthy_at < HEALTHY_FOR:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self) -> None:
        # Django calls this as every request starts and as it ends.
        if self.connection is not None and self.used and not self.errors_occurred:
            self.healthy_at = time.monotonic()
        self.used = False
        super().close_if_unusable_or_obsolete()
