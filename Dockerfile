# Airflow 3.3 with Java 17 (Spark) and the pinned runtime requirements.
# AIRFLOW_BASE_IMAGE: the official image; only the deploy test and `make compose` pass a local stand-in built
# with the same layout (include/docker/standin_images.py), where no registry image can be pulled.
ARG AIRFLOW_BASE_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${AIRFLOW_BASE_IMAGE}

USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64

USER airflow
COPY requirements.txt /opt/airflow/requirements.txt
RUN pip install --no-cache-dir -r /opt/airflow/requirements.txt
# The data volume's mount point: a new named volume takes this directory's owner, so tasks can write to it.
RUN mkdir -p /opt/airflow/data

COPY --chown=airflow:root dags/ /opt/airflow/dags/
COPY --chown=airflow:root plugins/ /opt/airflow/plugins/
# Spark's driver classes, recorded once for this image's JDK and PySpark: every classify task's driver starts faster.
RUN PYTHONPATH=/opt/airflow/plugins python -m arxiv_labeler spark-class-archive
