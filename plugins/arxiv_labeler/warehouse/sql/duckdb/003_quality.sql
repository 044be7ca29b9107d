-- arxiv-labeler warehouse, version 3: data-quality checks per run, the confidence policy's raw label
CREATE TABLE IF NOT EXISTS arxiv_quality_checks (
    run_id      VARCHAR NOT NULL,
    check_name  VARCHAR NOT NULL,
    model_id    VARCHAR,
    value       DOUBLE,
    threshold   DOUBLE,
    status      VARCHAR NOT NULL,
    detail      VARCHAR NOT NULL,
    checked_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, check_name)
);
ALTER TABLE arxiv_paper_labels ADD COLUMN raw_label VARCHAR;
ALTER TABLE arxiv_pipeline_runs ADD COLUMN quality_status VARCHAR;
