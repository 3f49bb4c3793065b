"""The forum's settings, unchanged but for STATIC_ROOT: the benchmark's own temporary directory.

With ``DJANGO_DEBUG=0`` the manifest static storage needs ``collectstatic``, and the forum's
settings have no way to collect elsewhere than the project's ``staticfiles/``.
"""

import os

from forum.settings import *  # noqa: F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
