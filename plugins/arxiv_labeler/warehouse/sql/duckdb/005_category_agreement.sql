-- arxiv-labeler warehouse, version 5: each run's labels against the authors' own categories, per day and primary group
CREATE TABLE IF NOT EXISTS arxiv_category_agreement (
    run_id          VARCHAR NOT NULL,
    model_id        VARCHAR NOT NULL,
    day             DATE NOT NULL,
    paper_group     VARCHAR NOT NULL,
    label_mapping   VARCHAR NOT NULL,
    papers          INTEGER NOT NULL,
    unclassified    INTEGER NOT NULL,
    primary_agreed  INTEGER NOT NULL,
    any_agreed      INTEGER NOT NULL,
    checked_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, day, paper_group)
);
