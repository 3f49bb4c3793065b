"""Every SQL statement the forum writes by hand, one module per concern.

The ORM does everything else. What is here is written out for speed (the statements every post
runs) or because the ORM cannot say it (locks, upserts); table and column names come from the
models, quoted, so the statements follow the models.

- ``instances``: load and insert whole model instances as the ORM would, and send statements
  in one round trip (``pipelined``).
- ``locks``: the comment-tree locks, and ``retrying`` for a write that met one out of order.
"""
