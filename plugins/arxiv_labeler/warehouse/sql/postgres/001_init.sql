-- arxiv-labeler warehouse, version 1 (PostgreSQL)
CREATE TABLE IF NOT EXISTS arxiv_papers (
    arxiv_id          TEXT PRIMARY KEY,
    version           INTEGER,
    created           DATE,
    updated           DATE,
    datestamp         DATE NOT NULL,
    title             TEXT NOT NULL,
    abstract          TEXT NOT NULL,
    authors           TEXT[],
    categories        TEXT[],
    primary_category  TEXT,
    arxiv_group       TEXT,
    comments          TEXT,
    doi               TEXT,
    journal_ref       TEXT,
    license           TEXT,
    text_sha256       TEXT NOT NULL,
    withdrawn         BOOLEAN NOT NULL DEFAULT FALSE,
    harvested_in_run  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS arxiv_models (
    model_id       TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    labels         TEXT[] NOT NULL,
    registered_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS arxiv_paper_labels (
    arxiv_id     TEXT NOT NULL,
    model_id     TEXT NOT NULL,
    label        TEXT NOT NULL,
    score        REAL NOT NULL,
    scores       JSONB NOT NULL,
    text_sha256  TEXT NOT NULL,
    text_source  TEXT NOT NULL,
    labeled_at   TIMESTAMPTZ NOT NULL,
    run_id       TEXT NOT NULL,
    PRIMARY KEY (arxiv_id, model_id)
);

CREATE TABLE IF NOT EXISTS arxiv_pipeline_runs (
    run_id            TEXT PRIMARY KEY,
    run_type          TEXT NOT NULL,
    interval_start    DATE NOT NULL,
    interval_end      DATE NOT NULL,
    model_id          TEXT,
    engine            TEXT,
    harvested         INTEGER NOT NULL,
    new_papers        INTEGER NOT NULL,
    replaced          INTEGER NOT NULL,
    deleted           INTEGER NOT NULL,
    classified        INTEGER NOT NULL,
    skipped_unchanged INTEGER NOT NULL,
    failed            INTEGER NOT NULL,
    stage_seconds     JSONB NOT NULL,
    status            TEXT NOT NULL,
    finished_at       TIMESTAMPTZ NOT NULL
);

CREATE OR REPLACE VIEW arxiv_current_labels AS
SELECT arxiv_id, model_id, label, score, scores, labeled_at
FROM (
    SELECT l.*, row_number() OVER (PARTITION BY l.arxiv_id ORDER BY m.registered_at DESC, m.model_id DESC) AS rank
    FROM arxiv_paper_labels l JOIN arxiv_models m USING (model_id)
) ranked
WHERE rank = 1;
