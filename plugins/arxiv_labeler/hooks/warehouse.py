"""The warehouse from an Airflow connection (postgres), else DuckDB under the data dir."""

from __future__ import annotations

from arxiv_labeler import settings
from arxiv_labeler.errors import ConfigError
from arxiv_labeler.hooks.connections import optional_connection
from arxiv_labeler.warehouse import Warehouse, open_warehouse, postgres_url


class WarehouseHook:
    """Postgres connection -> :class:`PostgresWarehouse`; none -> DuckDB (``ARXIV_LABELER_WAREHOUSE_URL``)."""

    def __init__(self, conn_id: str | None = settings.WAREHOUSE_CONN_ID) -> None:
        self.conn_id = conn_id

    def get_url(self) -> str:
        """The warehouse URL: the Postgres connection's URI, else the DuckDB default."""
        connection = optional_connection(self.conn_id)
        if connection is None:
            return settings.default_warehouse_url()
        if connection.conn_type not in ("postgres", "postgresql"):
            raise ConfigError(f"connection {self.conn_id!r} must be of type postgres, got {connection.conn_type!r}")
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        return postgres_url(str(PostgresHook(postgres_conn_id=self.conn_id).get_uri()))  # the hook may add +psycopg

    def get_warehouse(self) -> Warehouse:
        """The warehouse, migrated to the latest schema."""
        warehouse = open_warehouse(self.get_url())
        warehouse.migrate()
        return warehouse
