-- Login rate limits shared by every process serving the database: one token
-- bucket per key (the client address). tokens_milli is the bucket's content
-- in thousandths of a token as of updated_at (unix milliseconds); a full
-- bucket is as good as no row, so rows idle long enough to refill are pruned
-- (store/accounts.h, TakeLoginToken).
CREATE TABLE login_rate_buckets (
  key TEXT PRIMARY KEY,
  tokens_milli BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX login_rate_buckets_updated_at ON login_rate_buckets(updated_at);
