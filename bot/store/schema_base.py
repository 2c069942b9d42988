"""The first four schema migrations, as released: the reply queue, the question log, channel-carrying ids.

Kept apart from `bot.store.schema` so neither module grows past a reading; released entries are never edited.
"""

from __future__ import annotations

BASE_MIGRATIONS: tuple[str, ...] = (
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
    # 4: identities and update ids carry their channel and are text (Zalo's ids are strings); the outbox
    # stores channel-neutral replies with their buttons; numbered menus for channels without buttons;
    # the version moves into a table that PostgreSQL can have too
    """
    CREATE TABLE tickets_v4 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT '',
        question TEXT NOT NULL,
        norm TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'answered', 'closed')),
        created_at REAL NOT NULL,
        answer TEXT,
        answered_by TEXT,
        answered_at REAL,
        closed_reason TEXT,
        admin_message_id TEXT
    );
    INSERT INTO tickets_v4 SELECT id, channel, CAST(chat_id AS TEXT), CAST(user_id AS TEXT), display_name,
        question, norm, status, created_at, answer,
        CASE WHEN answered_by IS NULL THEN NULL WHEN answered_by = 0 THEN 'cli:0'
             ELSE 'telegram:' || answered_by END,
        answered_at, closed_reason, CAST(admin_message_id AS TEXT) FROM tickets;
    DROP TABLE tickets;
    ALTER TABLE tickets_v4 RENAME TO tickets;
    CREATE INDEX tickets_user ON tickets (channel, user_id, status);
    CREATE INDEX tickets_status ON tickets (status, created_at);
    CREATE INDEX tickets_post ON tickets (admin_message_id);

    CREATE TABLE questions_v4 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        text TEXT NOT NULL,
        decision TEXT NOT NULL,
        topic TEXT,
        score REAL NOT NULL DEFAULT 0,
        ticket_id INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
        created_at REAL NOT NULL,
        update_id TEXT
    );
    INSERT INTO questions_v4 SELECT id, channel, CAST(chat_id AS TEXT), CAST(user_id AS TEXT), text, decision,
        topic, score, ticket_id, created_at, CAST(update_id AS TEXT) FROM questions;
    DROP TABLE questions;
    ALTER TABLE questions_v4 RENAME TO questions;
    CREATE INDEX questions_user ON questions (channel, user_id);
    CREATE UNIQUE INDEX questions_update ON questions (channel, update_id) WHERE update_id IS NOT NULL;

    CREATE TABLE outbox_v4 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        ticket_id INTEGER REFERENCES tickets (id) ON DELETE CASCADE,
        text TEXT NOT NULL,
        buttons TEXT NOT NULL DEFAULT '[]',
        reply_to TEXT,
        lane TEXT NOT NULL DEFAULT 'citizen' CHECK (lane IN ('citizen', 'officer')),
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'uncertain', 'sent', 'undeliverable')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        last_error TEXT,
        created_at REAL NOT NULL,
        sent_at REAL,
        message_id TEXT,
        UNIQUE (ticket_id, kind)
    );
    INSERT INTO outbox_v4 (id, channel, chat_id, kind, ticket_id, text, lane, status, attempts, next_attempt_at,
        last_error, created_at, sent_at)
        SELECT id, channel, CAST(chat_id AS TEXT), kind, ticket_id, text,
        CASE WHEN kind = 'admin_post' THEN 'officer' ELSE 'citizen' END, status, attempts, next_attempt_at,
        last_error, created_at, sent_at FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v4 RENAME TO outbox;
    CREATE INDEX outbox_due ON outbox (status, lane, next_attempt_at);

    CREATE TABLE admin_actions_v4 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        admin_id TEXT NOT NULL,
        action TEXT NOT NULL,
        ticket_id INTEGER,
        detail TEXT NOT NULL DEFAULT '',
        at REAL NOT NULL
    );
    INSERT INTO admin_actions_v4 SELECT id,
        CASE WHEN admin_id = 0 THEN 'cli:0' ELSE 'telegram:' || admin_id END, action, ticket_id, detail, at
        FROM admin_actions;
    DROP TABLE admin_actions;
    ALTER TABLE admin_actions_v4 RENAME TO admin_actions;

    CREATE TABLE task_status_v4 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT NOT NULL,
        status TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        changed_by TEXT NOT NULL,
        at REAL NOT NULL
    );
    INSERT INTO task_status_v4 SELECT id, task_id, status, note,
        CASE WHEN changed_by = 0 THEN 'cli:0' ELSE 'telegram:' || changed_by END, at FROM task_status;
    DROP TABLE task_status;
    ALTER TABLE task_status_v4 RENAME TO task_status;
    CREATE INDEX task_status_task ON task_status (task_id, id);

    CREATE TABLE processed_updates_v4 (
        channel TEXT NOT NULL,
        update_id TEXT NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (channel, update_id)
    );
    INSERT INTO processed_updates_v4 SELECT 'telegram', CAST(update_id AS TEXT), at FROM processed_updates;
    DROP TABLE processed_updates;
    ALTER TABLE processed_updates_v4 RENAME TO processed_updates;

    CREATE TABLE menus (
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        payloads TEXT NOT NULL,
        expires_at REAL NOT NULL,
        PRIMARY KEY (channel, chat_id, user_id)
    );
    CREATE TABLE schema_version (version INTEGER NOT NULL);
    INSERT INTO schema_version (version) VALUES (3);
    """,
)
