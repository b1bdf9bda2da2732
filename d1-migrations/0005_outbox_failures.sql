-- Failed and dead-lettered e-mails, listed for staff (by organization) and the platform operator.
CREATE INDEX outbox_failed_org ON outbox(org_id, failed_at) WHERE failed_at IS NOT NULL;
CREATE INDEX outbox_failed ON outbox(failed_at) WHERE failed_at IS NOT NULL;
-- The cron's pick of rows handed to the queue long ago and still open.
CREATE INDEX outbox_open_enqueued ON outbox(enqueued_at) WHERE processed_at IS NULL AND failed_at IS NULL;
