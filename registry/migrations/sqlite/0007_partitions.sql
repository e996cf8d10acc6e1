-- partitions: one row per partition of a distributed update (update
-- --distributed), whose River jobs run on `demhost worker`s. A partition
-- is read as slices (partitions of the source's own partitioning, one
-- after another); its checkpoint is the number of slices done and their
-- counts, so that a rescued job resumes at the next slice. running_* are
-- the counts of the slice being read, for progress only.
CREATE TABLE partitions (
    action_id       BIGINT NOT NULL,
    number          INTEGER NOT NULL,
    slices          INTEGER NOT NULL,
    done            INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL DEFAULT 'queued',
    docs_indexed    BIGINT NOT NULL DEFAULT 0,
    docs_failed     BIGINT NOT NULL DEFAULT 0,
    docs_deleted    BIGINT NOT NULL DEFAULT 0,
    docs_skipped    BIGINT NOT NULL DEFAULT 0,
    running_indexed BIGINT NOT NULL DEFAULT 0,
    running_deleted BIGINT NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    job_id          BIGINT NOT NULL DEFAULT 0,
    worker          TEXT NOT NULL DEFAULT '',
    error           TEXT NOT NULL DEFAULT '',
    updated_at      DATETIME,
    PRIMARY KEY (action_id, number)
);
