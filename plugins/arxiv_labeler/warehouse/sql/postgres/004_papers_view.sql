-- arxiv-labeler warehouse, version 4: indexes for the labels page's paper list, search and detail (PostgreSQL)
-- The confidence threshold the policy applied to a label row (null: loaded before this column, or not recorded).
ALTER TABLE arxiv_paper_labels ADD COLUMN threshold REAL;

-- Day ranges, the list sorted by day (arxiv_id is its tiebreaker) and the latest labeled day.
CREATE INDEX IF NOT EXISTS arxiv_papers_datestamp_idx ON arxiv_papers (datestamp, arxiv_id);

-- Free-text search: a trigram index on the very expression the page searches, when pg_trgm can be installed.
-- Without it (no contrib package, or no CREATE privilege) the search still works, scanning the day range.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX IF NOT EXISTS arxiv_papers_text_trgm_idx ON arxiv_papers USING gin ((title || ' ' || abstract) gin_trgm_ops);
EXCEPTION WHEN insufficient_privilege OR feature_not_supported OR undefined_file THEN
    RAISE NOTICE 'arxiv-labeler: pg_trgm is not available (%); the papers search scans instead of using an index', SQLERRM;
END
$$;
