#!/usr/bin/env bash
# The stand-in image's entrypoint, with the official image's contract (docs: docker-stack/entrypoint):
#   IMAGE scheduler | IMAGE airflow scheduler  -> airflow scheduler
#   IMAGE bash -c ... | IMAGE python ...       -> that command, after the same database check
# It waits for the metadata database (CONNECTION_CHECK_MAX_COUNT tries, 0 = no check) and
# runs `airflow db migrate` first when _AIRFLOW_DB_MIGRATE is set.
set -euo pipefail

command="${1:-}"
# Files created on shared volumes stay writable for any uid of group 0, as in the official image.
umask 0002

CONNECTION_CHECK_MAX_COUNT="${CONNECTION_CHECK_MAX_COUNT:-20}"
CONNECTION_CHECK_SLEEP_TIME="${CONNECTION_CHECK_SLEEP_TIME:-3}"

wait_for_airflow_db() {
    local left="${CONNECTION_CHECK_MAX_COUNT}" output
    until output="$(airflow db check 2>&1)"; do
        left=$((left - 1))
        if [[ "${left}" -le 0 ]]; then
            echo "ERROR! The metadata database did not answer after ${CONNECTION_CHECK_MAX_COUNT} checks:" >&2
            echo "${output}" >&2
            exit 1
        fi
        sleep "${CONNECTION_CHECK_SLEEP_TIME}"
    done
}

if [[ "${CONNECTION_CHECK_MAX_COUNT}" -gt 0 ]]; then
    wait_for_airflow_db
fi
if [[ -n "${_AIRFLOW_DB_MIGRATE:-}" ]]; then
    airflow db migrate
fi

case "${command}" in
    bash) shift; exec /bin/bash "$@" ;;
    python) shift; exec python "$@" ;;
    airflow) shift ;;
esac
exec airflow "$@"
