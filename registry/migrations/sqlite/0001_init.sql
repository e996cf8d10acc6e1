-- The registry's first schema. schema_version is created by the migrator.

-- indexes: one row per (environment, base name); active is the active
-- version's number, 0 when none.
CREATE TABLE indexes (
    env    TEXT    NOT NULL,
    name   TEXT    NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (env, name)
);

-- version_counters: the last version number handed out per (env, index).
-- Never deleted, not even by a reset, so numbers are never reused.
CREATE TABLE version_counters (
    env         TEXT    NOT NULL,
    index_name  TEXT    NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (env, index_name)
);

CREATE TABLE versions (
    id          INTEGER     PRIMARY KEY AUTOINCREMENT,
    env         TEXT        NOT NULL,
    index_name  TEXT        NOT NULL,
    number      INTEGER     NOT NULL,
    name        TEXT        NOT NULL,
    schema_json TEXT        NOT NULL,
    schema_hash TEXT        NOT NULL,
    codebase_id TEXT        NOT NULL DEFAULT '',
    status      TEXT        NOT NULL,
    created_at  DATETIME    NOT NULL,
    deleted_at  DATETIME,
    UNIQUE (env, index_name, number)
);

CREATE TABLE actions (
    id           INTEGER     PRIMARY KEY AUTOINCREMENT,
    parent_id    BIGINT      NOT NULL DEFAULT 0,
    env          TEXT        NOT NULL,
    index_name   TEXT        NOT NULL DEFAULT '',
    version      INTEGER     NOT NULL DEFAULT 0,
    kind         TEXT        NOT NULL,
    status       TEXT        NOT NULL,
    started_at   DATETIME    NOT NULL,
    ended_at     DATETIME,
    argv         TEXT        NOT NULL DEFAULT '[]',
    host         TEXT        NOT NULL DEFAULT '',
    os_user      TEXT        NOT NULL DEFAULT '',
    codebase_id  TEXT        NOT NULL DEFAULT '',
    docs_indexed BIGINT      NOT NULL DEFAULT 0,
    docs_failed  BIGINT      NOT NULL DEFAULT 0,
    docs_deleted BIGINT      NOT NULL DEFAULT 0,
    params       TEXT        NOT NULL DEFAULT '{}',
    log          TEXT        NOT NULL DEFAULT '',
    error        TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX actions_env_index_id ON actions (env, index_name, id);

CREATE TABLE checkpoints (
    env        TEXT        NOT NULL,
    index_name TEXT        NOT NULL,
    version    INTEGER     NOT NULL,
    source     TEXT        NOT NULL,
    watermark  DATETIME    NOT NULL,
    PRIMARY KEY (env, index_name, version, source)
);

-- locks: who holds the lock of (env, index), for the error a waiter gets.
-- The lock itself is the write lock of a lock file; this row is only its label.
CREATE TABLE locks (
    env         TEXT        NOT NULL,
    index_name  TEXT        NOT NULL,
    action_id   BIGINT      NOT NULL,
    host        TEXT        NOT NULL,
    pid         INTEGER     NOT NULL,
    acquired_at DATETIME    NOT NULL,
    PRIMARY KEY (env, index_name)
);
