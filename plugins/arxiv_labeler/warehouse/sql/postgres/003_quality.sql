-- arxiv-labeler warehouse, version 3: data-quality checks per run, the confidence policy's raw label
CREATE TABLE IF NOT EXISTS arxiv_quality_checks (
    run_id      TEXT NOT NULL,
    check_name  TEXT NOT NULL,
    model_id    TEXT,
    value       DOUBLE PRECISION,
    threshold   DOUBLE PRECISION,
    status      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    checked_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, check_name)
);
ALTER TABLE arxiv_paper_labels ADD COLUMN raw_label TEXT;
ALTER TABLE arxiv_pipeline_runs ADD COLUMN quality_status TEXT;
