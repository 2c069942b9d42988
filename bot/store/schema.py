"""The schema as ordered migrations; the `schema_version` table records how many are applied.

Migrations 1 to 4 live in `bot.store.schema_base`. Databases from before migration 4 recorded the version in
`PRAGMA user_version`, which is still read for them.
"""

from __future__ import annotations

from bot.store.schema_base import BASE_MIGRATIONS
from bot.store.schema_plan import PLAN_SQLITE
from bot.store.schema_voice import VOICE_SQLITE

# Each entry upgrades the database from version i to i + 1. Never edit a released entry: add one.
MIGRATIONS: tuple[str, ...] = (
    *BASE_MIGRATIONS,
    # 5: conversations remember their current topic and last turns; a queued follow-up carries them;
    # contacts: who has already been shown the privacy notice
    """
    CREATE TABLE conversations (
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        topic TEXT,
        facet TEXT,
        turns TEXT NOT NULL DEFAULT '[]',
        updated_at REAL NOT NULL,
        PRIMARY KEY (channel, chat_id, user_id)
    );
    ALTER TABLE tickets ADD COLUMN context TEXT NOT NULL DEFAULT '[]';
    CREATE TABLE contacts (
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        first_at REAL NOT NULL,
        PRIMARY KEY (channel, user_id)
    );
    """,
    # 6: the officers' web console: accounts, sessions, failed logins, canned replies, ticket assignment
    """
    CREATE TABLE web_users (
        login TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL CHECK (role IN ('admin', 'staff')),
        password_hash TEXT NOT NULL,
        link TEXT,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    );
    CREATE TABLE web_sessions (
        token_hash TEXT PRIMARY KEY,
        login TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created_at REAL NOT NULL,
        last_seen REAL NOT NULL
    );
    CREATE TABLE web_login_failures (
        login TEXT NOT NULL,
        client TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX web_login_failures_key ON web_login_failures (login, client, at);
    CREATE TABLE canned_replies (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE ticket_assignments (
        ticket_id INTEGER PRIMARY KEY,
        officer TEXT NOT NULL,
        assigned_by TEXT NOT NULL,
        at REAL NOT NULL
    );
    """,
    # 7: Zalo: inbound events acknowledged before they are handled (deduplicated per channel), the rotating
    # OAuth tokens, the message ids papibot sent (to recognise a person writing from Zalo's own inbox)
    # and the chats such a person took over
    """
    CREATE TABLE inbound_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        msg_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
        received_at REAL NOT NULL,
        done_at REAL,
        UNIQUE (channel, msg_id)
    );
    CREATE INDEX inbound_events_pending ON inbound_events (channel, status, user_id, id);
    CREATE TABLE channel_tokens (
        channel TEXT PRIMARY KEY,
        access_token TEXT NOT NULL DEFAULT '',
        refresh_token TEXT NOT NULL,
        expires_at REAL NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL
    );
    CREATE TABLE sent_messages (
        channel TEXT NOT NULL,
        message_id TEXT NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (channel, message_id)
    );
    CREATE TABLE takeovers (
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        until REAL NOT NULL,
        PRIMARY KEY (channel, user_id)
    );
    """,
    # 8: leases: which process long-polls a platform when several share one (PostgreSQL) database
    """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        until REAL NOT NULL
    );
    """,
    # 9: flood windows: how many messages each citizen sent in its current window, counted across processes
    """
    CREATE TABLE flood_windows (
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        started REAL NOT NULL,
        hits INTEGER NOT NULL,
        PRIMARY KEY (channel, user_id)
    );
    """,
    # 10: officers' learned knowledge (example questions added to topics, whole topics as JSON), and the
    # knowledge version every process polls to reload when another one changed it (one row, made on first use)
    """
    CREATE TABLE learned_items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('question', 'topic')),
        topic_id TEXT NOT NULL,
        body TEXT NOT NULL,
        ticket_id INTEGER,
        created_at REAL NOT NULL
    );
    CREATE INDEX learned_items_topic ON learned_items (topic_id, kind);
    CREATE INDEX learned_items_ticket ON learned_items (ticket_id);
    CREATE TABLE knowledge_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        initialised INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL
    );
    """,
    # 11: outbox claims name the claiming process's lock key, so a claim whose process died is taken over
    """
    ALTER TABLE outbox ADD COLUMN claimed_by INTEGER;
    """,
    # 12: a send schedule the processes share, so a platform's limit for the whole bot holds across them
    """
    CREATE TABLE rate_slots (
        name TEXT PRIMARY KEY,
        next_at REAL NOT NULL
    );
    """,
    # 13: doubt about an answer (from context against a strong standalone rival, or by a narrow margin),
    # and an officer's verdict on it: who judged it right, dismissed it or taught the right topic, and when
    """
    ALTER TABLE questions ADD COLUMN doubt TEXT CHECK (doubt IN ('context', 'margin'));
    ALTER TABLE questions ADD COLUMN verdict TEXT CHECK (verdict IN ('right', 'dismissed', 'taught'));
    ALTER TABLE questions ADD COLUMN verdict_by TEXT;
    ALTER TABLE questions ADD COLUMN verdict_at REAL;
    CREATE INDEX questions_doubt ON questions (created_at) WHERE doubt IS NOT NULL AND verdict IS NULL;
    """,
    # 14: the citizen's question a learned example was taken from (the "Chưa hiểu" page), so erasing the
    # citizen erases it too
    """
    ALTER TABLE learned_items ADD COLUMN question_id INTEGER;
    CREATE INDEX learned_items_question ON learned_items (question_id);
    """,
    # 15: how many parts of a long outbox message the platform has accepted, so a retry resumes after them
    """
    ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
    """,
    # 16: the PAPI plan as periods: areas and tasks per period (imported, copied or added), each task's last
    # recorded status with who recorded it and when, and every change to a task (bot/store/schema_plan.py)
    PLAN_SQLITE,
    # 17: what citizens say, measured: the satisfaction survey and feedback on regulations (bot/store/schema_voice.py)
    VOICE_SQLITE,
)

SCHEMA_VERSION = len(MIGRATIONS)
