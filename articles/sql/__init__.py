"""Every SQL statement the forum writes by hand, one module per concern.

The ORM does everything else. What is here is written out for speed (the statements every post
runs) or because the ORM cannot say it (locks, upserts); table and column names come from the
models, quoted, so the statements follow the models.

- ``instances``: load and insert whole model instances as the ORM would, and send statements
  in one round trip (``pipelined``).
- ``locks``: the comment-tree locks, and ``retrying`` for a write that met one out of order.
- ``comments``: a comment with its article in one query; the article's next comment number; a
  reply's place, room and insert, sent in one round trip by ``services``.
- ``bans``: the ban in force on a poster. ``rate_counters``: the counting upsert.
  ``form_tokens``: whether a form was sent before. ``names``: the quoted names they are built of.
"""
