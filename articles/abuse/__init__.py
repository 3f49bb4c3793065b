"""Protection from abuse, one module per verb.

- ``addresses``: the client's address behind trusted proxies, and the keyed hash kept of it;
- ``bans``: the ban in force on a reader;
- ``limits``: rate limits (posts, reports, log-ins), counted in one store chosen by the settings;
- ``holds``: what holds a comment back for a moderator's approval;
- ``names``: the names reserved for accounts and the site's staff.

The rules that apply them to a post, an edit or a report are decided in ``articles.posting``.
"""
