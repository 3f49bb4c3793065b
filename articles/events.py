"""What the comment services announce, for the apps that follow comments (notifications).

Sent inside the writing transaction, under the tree's lock: a receiver's writes commit or roll
back with the comment's, and a receiver must be quick and must not take other trees' locks.
"""

from django.dispatch import Signal

# A reader's comment shows to everyone from now on: posted published, or approved (or restored)
# by a moderator. Arguments: ``comment``, and ``new`` (True when just posted).
comment_published = Signal()
