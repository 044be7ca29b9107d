-- arxiv-labeler warehouse, version 1 (DuckDB)
CREATE TABLE IF NOT EXISTS arxiv_papers (
    arxiv_id          VARCHAR PRIMARY KEY,
    version           INTEGER,
    created           DATE,
    updated           DATE,
    datestamp         DATE NOT NULL,
    title             VARCHAR NOT NULL,
    abstract          VARCHAR NOT NULL,
    authors           VARCHAR[],
    categories        VARCHAR[],
    primary_category  VARCHAR,
    arxiv_group       VARCHAR,
    comments          VARCHAR,
    doi               VARCHAR,
    journal_ref       VARCHAR,
    license           VARCHAR,
    text_sha256       VARCHAR NOT NULL,
    withdrawn         BOOLEAN NOT NULL DEFAULT FALSE,
    harvested_in_run  VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS arxiv_models (
    model_id       VARCHAR PRIMARY KEY,
    name           VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL,
    labels         VARCHAR[] NOT NULL,
    registered_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS arxiv_paper_labels (
    arxiv_id     VARCHAR NOT NULL,
    model_id     VARCHAR NOT NULL,
    label        VARCHAR NOT NULL,
    score        REAL NOT NULL,
    scores       JSON NOT NULL,
    text_sha256  VARCHAR NOT NULL,
    text_source  VARCHAR NOT NULL,
    labeled_at   TIMESTAMP NOT NULL,
    run_id       VARCHAR NOT NULL,
    PRIMARY KEY (arxiv_id, model_id)
);

CREATE TABLE IF NOT EXISTS arxiv_pipeline_runs (
    run_id            VARCHAR PRIMARY KEY,
    run_type          VARCHAR NOT NULL,
    interval_start    DATE NOT NULL,
    interval_end      DATE NOT NULL,
    model_id          VARCHAR,
    engine            VARCHAR,
    harvested         INTEGER NOT NULL,
    new_papers        INTEGER NOT NULL,
    replaced          INTEGER NOT NULL,
    deleted           INTEGER NOT NULL,
    classified        INTEGER NOT NULL,
    skipped_unchanged INTEGER NOT NULL,
    failed            INTEGER NOT NULL,
    stage_seconds     JSON NOT NULL,
    status            VARCHAR NOT NULL,
    finished_at       TIMESTAMP NOT NULL
);

CREATE OR REPLACE VIEW arxiv_current_labels AS
SELECT arxiv_id, model_id, label, score, scores, labeled_at
FROM (
    SELECT l.*, row_number() OVER (PARTITION BY l.arxiv_id ORDER BY m.registered_at DESC, m.model_id DESC) AS rank
    FROM arxiv_paper_labels l JOIN arxiv_models m USING (model_id)
) ranked
WHERE rank = 1;
