-- arxiv-labeler warehouse, version 4: what the labels page's paper list and detail need (DuckDB)
-- The confidence threshold the policy applied to a label row (null: loaded before this column, or not recorded).
ALTER TABLE arxiv_paper_labels ADD COLUMN threshold REAL;
