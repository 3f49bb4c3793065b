"""The search index: tables of normalised text that triggers keep in step with every write.

Triggers rather than signals or service calls, so that no path that writes (the services, raw
SQL in articles.sql, the admin, the importer, a migration) can leave the index stale, and the
index changes in the same transaction as the text. One function per database engine below;
callers (the migration, ``ensure_installed``) never see SQL.
"""

import unicodedata

from django.db import connections

# Tables and columns of the articles app the triggers read (fixed by its migrations).
COMMENT, ARTICLE, BLOCK = "articles_comment", "articles_article", "articles_block"
COMMENT_TEXT, ARTICLE_TEXT = "search_commenttext", "search_articletext"


def normalize(text: str) -> str:
    """Text as searches compare it: NFKC (full-width ｓ－４００ is S-400) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def doubled(text: str) -> str:
    """Every character twice: 中国 → 中中国国.

    The index holds the normalised text doubled. A term occurs in a text exactly when the term
    doubled occurs in the text doubled (at an odd offset it could only meet a run of one repeated
    character, which holds the term as well), and a doubled two-character term has trigrams
    (中中国, 中国国): the trigram indexes answer every term of two characters or more.
    """
    return "".join(char * 2 for char in text)


def index_text(text: str) -> str:
    return doubled(normalize(text))


def register_sqlite_function(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "search_normalize", 1, _normalize_or_none, deterministic=True
        )


def _normalize_or_none(text: str | None) -> str | None:
    return None if text is None else index_text(text)


# --- PostgreSQL: pg_trgm GIN indexes over the normalised text -------------------------------

_POSTGRESQL_INSTALL = f"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- search.index.index_text: NFKC, lower case, every character doubled.
CREATE OR REPLACE FUNCTION search_normalize(t text) RETURNS text LANGUAGE sql IMMUTABLE
    PARALLEL SAFE AS $$ SELECT regexp_replace(lower(normalize(t, NFKC)), '(.)', '\\1\\1', 'g') $$;

CREATE OR REPLACE FUNCTION search_comment_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM {COMMENT_TEXT} WHERE comment_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'published' THEN
        INSERT INTO {COMMENT_TEXT} (comment_id, text, created_at)
        VALUES (NEW.id, search_normalize(NEW.body), NEW.created_at);
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER search_comment_insert_delete AFTER INSERT OR DELETE ON {COMMENT}
    FOR EACH ROW EXECUTE FUNCTION search_comment_sync();
CREATE OR REPLACE TRIGGER search_comment_update AFTER UPDATE OF body, status, created_at
    ON {COMMENT} FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body
        OR OLD.status IS DISTINCT FROM NEW.status OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION search_comment_sync();

CREATE OR REPLACE FUNCTION search_article_refresh(aid bigint) RETURNS void LANGUAGE sql AS $$
    DELETE FROM {ARTICLE_TEXT} WHERE article_id = aid;
    {{article_text}}
$$;
CREATE OR REPLACE FUNCTION search_article_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = '{ARTICLE}' THEN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM {ARTICLE_TEXT} WHERE article_id = OLD.id;
        ELSE
            PERFORM search_article_refresh(NEW.id);
        END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN PERFORM search_article_refresh(OLD.article_id); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM search_article_refresh(NEW.article_id); END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER search_article_sync AFTER INSERT OR DELETE
    ON {ARTICLE} FOR EACH ROW EXECUTE FUNCTION search_article_sync();
CREATE OR REPLACE TRIGGER search_article_update AFTER UPDATE OF title, lead ON {ARTICLE}
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.lead IS DISTINCT FROM NEW.lead)
    EXECUTE FUNCTION search_article_sync();
CREATE OR REPLACE TRIGGER search_block_sync AFTER INSERT OR DELETE OR UPDATE OF text, article_id
    ON {BLOCK} FOR EACH ROW EXECUTE FUNCTION search_article_sync();
"""

# A GIN index takes new rows into a pending list, cheap to append to and read by every search,
# and moves them into its main structure in bulk. Whoever finds the list over
# gin_pending_list_limit does that move: with the default 4 MB (some 500 comments, each doubled
# text giving a few hundred trigrams) a reply now and then paid 0.3-0.5 s for it at 250,000
# comments (bench/SEARCH_RESULTS.md), more as the index grows. The comments' index therefore
# keeps up to PENDING_LIST_KB, which a search still reads through quickly, and the list is
# moved in the background: by autovacuum once ANALYZE_AFTER comments have come (its ANALYZE
# moves a GIN pending list), and by ``manage.py search_flush`` where a timer runs it. Entries
# in the list are found like any other: nothing waits to be searchable.
PENDING_LIST_KB = 16 * 1024
ANALYZE_AFTER = 500

_POSTGRESQL_INDEXES = {
    f"{COMMENT_TEXT}_trgm": (
        f"CREATE INDEX {COMMENT_TEXT}_trgm ON {COMMENT_TEXT} USING gin (text gin_trgm_ops) "
        f"WITH (gin_pending_list_limit = {PENDING_LIST_KB})"
    ),
    f"{ARTICLE_TEXT}_trgm": (
        f"CREATE INDEX {ARTICLE_TEXT}_trgm ON {ARTICLE_TEXT} USING gin (text gin_trgm_ops)"
    ),
}

_POSTGRESQL_PENDING_LIST = f"""
ALTER INDEX {COMMENT_TEXT}_trgm SET (gin_pending_list_limit = {PENDING_LIST_KB});
ALTER TABLE {COMMENT_TEXT} SET (autovacuum_analyze_threshold = {ANALYZE_AFTER},
    autovacuum_analyze_scale_factor = 0);
"""

_POSTGRESQL_DROP_INDEXES = f"""
DROP INDEX IF EXISTS {COMMENT_TEXT}_trgm;
DROP INDEX IF EXISTS {ARTICLE_TEXT}_trgm;
"""

_POSTGRESQL_UNINSTALL = f"""
DROP TRIGGER IF EXISTS search_comment_insert_delete ON {COMMENT};
DROP TRIGGER IF EXISTS search_comment_update ON {COMMENT};
DROP TRIGGER IF EXISTS search_article_sync ON {ARTICLE};
DROP TRIGGER IF EXISTS search_article_update ON {ARTICLE};
DROP TRIGGER IF EXISTS search_block_sync ON {BLOCK};
DROP FUNCTION IF EXISTS search_article_sync();
DROP FUNCTION IF EXISTS search_article_refresh(bigint);
DROP FUNCTION IF EXISTS search_comment_sync();
DROP FUNCTION IF EXISTS search_normalize(text);
"""

# --- SQLite: FTS5 tables with the trigram tokenizer over the normalised text ----------------


def _article_text(vendor: str, where: str) -> str:
    """INSERT of the index text of the articles ``where`` selects (alias a)."""
    newline, blocks = (
        ("chr(10)", "string_agg(b.text, chr(10) ORDER BY b.position)")
        if vendor == "postgresql"
        else ("char(10)", "group_concat(b.text, char(10))")
    )
    return (
        f"INSERT INTO {ARTICLE_TEXT} (article_id, text) SELECT a.id, search_normalize("
        f"a.title || {newline} || a.lead || {newline} || coalesce((SELECT {blocks} "
        f"FROM {BLOCK} b WHERE b.article_id = a.id), '')) FROM {ARTICLE} a WHERE {where};"
    )


def _article_refresh_sqlite(article_id: str) -> str:
    return f"DELETE FROM {ARTICLE_TEXT} WHERE article_id = {article_id}; " + _article_text(
        "sqlite", f"a.id = {article_id}"
    )


def _fts_sqlite(table: str, key: str) -> list[str]:
    """An FTS5 index of ``table``'s text (external content: the text is stored once)."""
    fts = f"{table}_fts"
    delete = f"INSERT INTO {fts} ({fts}, rowid, text) VALUES ('delete', OLD.{key}, OLD.text);"
    insert = f"INSERT INTO {fts} (rowid, text) VALUES (NEW.{key}, NEW.text);"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(text, content='{table}', "
        f"content_rowid='{key}', tokenize='trigram')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE ON {table} "
        f"BEGIN {delete} {insert} END",
    ]


_SQLITE_TRIGGERS = {
    "search_comment_ai": (
        f"AFTER INSERT ON {COMMENT} WHEN NEW.status = 'published' BEGIN "
        f"INSERT INTO {COMMENT_TEXT} (comment_id, text, created_at) "
        f"VALUES (NEW.id, search_normalize(NEW.body), NEW.created_at); END"
    ),
    "search_comment_au": (
        f"AFTER UPDATE OF body, status, created_at ON {COMMENT} "
        f"WHEN OLD.body IS NOT NEW.body OR OLD.status IS NOT NEW.status "
        f"OR OLD.created_at IS NOT NEW.created_at BEGIN "
        f"DELETE FROM {COMMENT_TEXT} WHERE comment_id = OLD.id; "
        f"INSERT INTO {COMMENT_TEXT} (comment_id, text, created_at) "
        f"SELECT NEW.id, search_normalize(NEW.body), NEW.created_at "
        f"WHERE NEW.status = 'published'; END"
    ),
    "search_comment_ad": (
        f"AFTER DELETE ON {COMMENT} BEGIN DELETE FROM {COMMENT_TEXT} WHERE comment_id = OLD.id; END"
    ),
    "search_article_ai": (
        f"AFTER INSERT ON {ARTICLE} BEGIN {_article_text('sqlite', 'a.id = NEW.id')} END"
    ),
    "search_article_au": (
        f"AFTER UPDATE OF title, lead ON {ARTICLE} "
        f"WHEN OLD.title IS NOT NEW.title OR OLD.lead IS NOT NEW.lead "
        f"BEGIN {_article_refresh_sqlite('NEW.id')} END"
    ),
    "search_article_ad": (
        f"AFTER DELETE ON {ARTICLE} BEGIN DELETE FROM {ARTICLE_TEXT} WHERE article_id = OLD.id; END"
    ),
    "search_block_ai": (
        f"AFTER INSERT ON {BLOCK} BEGIN {_article_refresh_sqlite('NEW.article_id')} END"
    ),
    "search_block_au": (
        f"AFTER UPDATE OF text, article_id ON {BLOCK} BEGIN "
        f"{_article_refresh_sqlite('OLD.article_id')} "
        f"{_article_refresh_sqlite('NEW.article_id')} END"
    ),
    "search_block_ad": (
        f"AFTER DELETE ON {BLOCK} BEGIN {_article_refresh_sqlite('OLD.article_id')} END"
    ),
}


def _sqlite_install() -> list[str]:
    return [
        *_fts_sqlite(COMMENT_TEXT, "comment_id"),
        *_fts_sqlite(ARTICLE_TEXT, "article_id"),
        *(f"CREATE TRIGGER IF NOT EXISTS {name} {body}" for name, body in _SQLITE_TRIGGERS.items()),
    ]


def _sqlite_uninstall() -> list[str]:
    triggers = [*_SQLITE_TRIGGERS]
    for table in (COMMENT_TEXT, ARTICLE_TEXT):
        triggers += [f"{table}_fts_ai", f"{table}_fts_ad", f"{table}_fts_au"]
    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in triggers),
        f"DROP TABLE IF EXISTS {COMMENT_TEXT}_fts",
        f"DROP TABLE IF EXISTS {ARTICLE_TEXT}_fts",
    ]


# --- What the migration and post_migrate call -------------------------------------------------


def install(connection) -> None:
    """Create the triggers (and indexes) that keep the index; harmless when they exist."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            article_text = _article_text("postgresql", "a.id = aid")
            cursor.execute(_POSTGRESQL_INSTALL.replace("{article_text}", article_text))
            # Only when missing: even CREATE INDEX IF NOT EXISTS refuses to run in a transaction
            # with deferred constraint checks pending. Dropped with their tables.
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)",
                [list(_POSTGRESQL_INDEXES)],
            )
            present = {row[0] for row in cursor.fetchall()}
            for name, statement in _POSTGRESQL_INDEXES.items():
                if name not in present:
                    cursor.execute(statement)
        else:
            for statement in _sqlite_install():
                cursor.execute(statement)


def keep_pending_list(connection) -> None:
    """Give the comments' index its pending list, and autovacuum its cue (PENDING_LIST_KB)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_POSTGRESQL_PENDING_LIST)


def flush_pending(connection) -> int:
    """Move the comments' index's pending list into its main structure, as a background job;
    how many pages it held. Nothing to do on SQLite, where FTS5 merges as it goes."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT gin_clean_pending_list('{COMMENT_TEXT}_trgm'::regclass)")
        return cursor.fetchone()[0]


def uninstall(connection, *, indexes: bool = False) -> None:
    """Drop the triggers (and with ``indexes`` the PostgreSQL indexes, slow to build again)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_POSTGRESQL_UNINSTALL)
            if indexes:
                cursor.execute(_POSTGRESQL_DROP_INDEXES)
        else:
            for statement in _sqlite_uninstall():
                cursor.execute(statement)


def rebuild(connection) -> None:
    """Install the triggers afresh and fill the index from the comments and articles."""
    uninstall(connection)
    # Emptied while no trigger watches: an FTS5 index must not be told to delete rows it never
    # held. Filled once they do, which fills the FTS5 indexes too.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {COMMENT_TEXT}")
        cursor.execute(f"DELETE FROM {ARTICLE_TEXT}")
    install(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {COMMENT_TEXT} (comment_id, text, created_at) "
            f"SELECT id, search_normalize(body), created_at FROM {COMMENT} "
            f"WHERE status = 'published'"
        )
        cursor.execute(_article_text(connection.vendor, "1 = 1"))


def installed_triggers(connection) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'search%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall() if row[0].startswith("search")}


EXPECTED_TRIGGERS = {
    "postgresql": {
        "search_comment_insert_delete",
        "search_comment_update",
        "search_article_sync",
        "search_article_update",
        "search_block_sync",
    },
    "sqlite": {
        *_SQLITE_TRIGGERS,
        *(f"{t}_fts_{op}" for t in (COMMENT_TEXT, ARTICLE_TEXT) for op in ("ai", "ad", "au")),
    },
}


def ensure_installed(sender, using: str = "default", **kwargs) -> None:
    """Put back triggers a later migration dropped (SQLite remakes tables) and refill the index."""
    connection = connections[using]
    if connection.vendor not in EXPECTED_TRIGGERS:
        return
    tables = set(connection.introspection.table_names())
    if COMMENT_TEXT not in tables or COMMENT not in tables:
        return  # migrated backwards past the search app
    if EXPECTED_TRIGGERS[connection.vendor] <= installed_triggers(connection):
        return
    rebuild(connection)
