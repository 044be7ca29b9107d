"""Airflow hooks: each turns an (optional) Airflow connection into a plain client of this package."""
