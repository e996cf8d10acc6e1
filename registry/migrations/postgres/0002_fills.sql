-- checkpoints: which action set the watermark, and when. A checkpoint
-- exists only once a version has had a complete full fill; an update that
-- waited for the lock sees a fill that ended meanwhile by set_at.
ALTER TABLE checkpoints ADD COLUMN action_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE checkpoints ADD COLUMN set_at TIMESTAMPTZ;

-- versions.load_settings: the index settings a full load changed, as JSON
-- of their original values, recorded before they are changed and cleared
-- once restored. NULL when no load settings are applied.
ALTER TABLE versions ADD COLUMN load_settings TEXT;
