-- arxiv-labeler warehouse, version 2: affiliations beside authors, withdrawn versions counted per run
ALTER TABLE arxiv_papers ADD COLUMN affiliations TEXT[];
ALTER TABLE arxiv_pipeline_runs ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;
