"""The "arXiv labels" page in Airflow's UI: a FastAPI app the plugin mounts on the api-server."""
