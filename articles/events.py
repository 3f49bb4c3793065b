"""What the comment services announce, for the apps that follow comments (notifications).

Sent inside the writing transaction, under the tree's lock: a receiver's writes commit or roll
back with the comment's, and a receiver must be quick and must not take other trees' locks.
"""

from django.dispatch import Signal

# A reader's comment shows to everyone from now on (``Comment.objects.public()`` holds it): posted
# published under no held comment, approved (or restored) by a moderator, or a published reply
# that the approval of a held comment above it brings out. Arguments: ``comment``, and ``new``
# (True when just posted; otherwise it may have been announced before).
comment_published = Signal()
