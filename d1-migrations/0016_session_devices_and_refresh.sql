-- Signed-in devices and the Mobile App's long sign-in (issue 27, part B).
--
-- A session now says what signed in (`client`: a browser, or the Mobile App with refresh tokens),
-- the User-Agent it came with (truncated) and when it was last used (at most once a minute), so
-- that a person can see their sign-ins and end them.
ALTER TABLE sessions ADD COLUMN client TEXT NOT NULL DEFAULT 'browser' CHECK (client IN ('browser', 'app'));
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER;

-- The Mobile App's refresh tokens: single-use, stored only as their SHA-256 (as link tokens are).
-- The session is the sign-in they belong to (the token family): ending it refuses every one of its
-- tokens, and a spent token used again ends it. `replaced_by` names the token a refresh issued in
-- the same batch, so that its insert is written only when that refresh spent this one.
CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id),
  created_at INTEGER NOT NULL,
  spent_at INTEGER,
  replaced_by TEXT
);
CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);
