"""SQLite schema as ordered migrations; `PRAGMA user_version` records how many are applied."""

from __future__ import annotations

# Each entry upgrades the database from version i to i + 1. Never edit a released entry: add one.
MIGRATIONS: tuple[str, ...] = (
    # 1: the reply queue as first released
    """
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        display_name TEXT NOT NULL DEFAULT '',
        question TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'answered', 'closed')),
        created_at REAL NOT NULL,
        answer TEXT,
        answered_by INTEGER,
        answered_at REAL
    );
    CREATE INDEX tickets_user ON tickets (channel, user_id, status);
    """,
    # 2: question log, ratings, outbox, audit, staff task status, processed updates
    """
    ALTER TABLE tickets ADD COLUMN norm TEXT NOT NULL DEFAULT '';
    ALTER TABLE tickets ADD COLUMN closed_reason TEXT;
    ALTER TABLE tickets ADD COLUMN admin_message_id INTEGER;
    CREATE INDEX tickets_status ON tickets (status, created_at);
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        text TEXT NOT NULL,
        decision TEXT NOT NULL,
        topic TEXT,
        score REAL NOT NULL DEFAULT 0,
        ticket_id INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX questions_user ON questions (channel, user_id);
    CREATE TABLE ratings (
        question_id INTEGER PRIMARY KEY REFERENCES questions (id) ON DELETE CASCADE,
        helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
        created_at REAL NOT NULL
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        ticket_id INTEGER REFERENCES tickets (id) ON DELETE CASCADE,
        text TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sent', 'undeliverable')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        last_error TEXT,
        created_at REAL NOT NULL,
        sent_at REAL,
        UNIQUE (ticket_id, kind)
    );
    CREATE INDEX outbox_due ON outbox (status, channel, next_attempt_at);
    CREATE TABLE admin_actions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        admin_id INTEGER NOT NULL,
        action TEXT NOT NULL,
        ticket_id INTEGER,
        detail TEXT NOT NULL DEFAULT '',
        at REAL NOT NULL
    );
    CREATE TABLE task_status (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT NOT NULL,
        status TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        changed_by INTEGER NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX task_status_task ON task_status (task_id, id);
    CREATE TABLE processed_updates (
        update_id INTEGER PRIMARY KEY,
        at REAL NOT NULL
    );
    """,
    # 3: remember which update produced a question, and whether its reply went out, so that an update
    # redelivered after a crash gets its missing reply without its effect being stored twice
    """
    ALTER TABLE processed_updates ADD COLUMN replied INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE questions ADD COLUMN update_id INTEGER;
    CREATE UNIQUE INDEX questions_update ON questions (update_id) WHERE update_id IS NOT NULL;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
