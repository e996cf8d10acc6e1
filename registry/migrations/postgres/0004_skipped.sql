-- actions.docs_skipped: records the source reported skipping (sdk.Skip),
-- counted beside indexed, failed and deleted.
ALTER TABLE actions ADD COLUMN docs_skipped BIGINT NOT NULL DEFAULT 0;
