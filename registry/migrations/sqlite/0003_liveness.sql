-- Liveness of actions and locks (issue 16). An action records the process
-- that runs it (pid, and proc_start: what tells that pid's process from a
-- later one that reuses the number) and a heartbeat that its process
-- renews every lease_ms/5; a lock label records the heartbeat its holder
-- renews while it checks that it still holds the lock. An action whose
-- process is gone becomes 'abandoned'; a new holder of a lock whose label
-- is still fresh waits for the old holder's lease to run out.
ALTER TABLE actions ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE actions ADD COLUMN proc_start TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN heartbeat_at DATETIME;
ALTER TABLE actions ADD COLUMN lease_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX actions_running ON actions (env, index_name) WHERE status IN ('queued', 'in_progress');

ALTER TABLE locks ADD COLUMN heartbeat_at DATETIME;
ALTER TABLE locks ADD COLUMN lease_ms BIGINT NOT NULL DEFAULT 0;
