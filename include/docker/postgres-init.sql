-- The warehouse database and its owner (the pipeline applies its own migrations on first load).
CREATE USER warehouse WITH PASSWORD 'warehouse';
CREATE DATABASE arxiv OWNER warehouse;
