#!/usr/bin/env bash
# First start (empty PGDATA): initdb with POSTGRES_USER as superuser, password auth over TCP, POSTGRES_DB,
# then /docker-entrypoint-initdb.d/* in name order against a socket-only server. Then exec the command.
set -Eeuo pipefail

if [[ "${1:-}" == -* ]]; then
    set -- postgres "$@"
fi

if [[ "${1:-}" == postgres && ! -s "${PGDATA}/PG_VERSION" ]]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (as for the official image)}"
    POSTGRES_USER="${POSTGRES_USER:-postgres}"
    POSTGRES_DB="${POSTGRES_DB:-${POSTGRES_USER}}"
    initdb --username="${POSTGRES_USER}" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD}") \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 -D "${PGDATA}"
    printf "\nhost all all all scram-sha-256\n" >> "${PGDATA}/pg_hba.conf"
    printf "\nlisten_addresses = '*'\n" >> "${PGDATA}/postgresql.conf"

    pg_ctl -D "${PGDATA}" -o "-c listen_addresses=''" -w start
    psql=(psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --no-password --no-psqlrc)
    if [[ "${POSTGRES_DB}" != postgres ]]; then
        "${psql[@]}" --dbname postgres --set db="${POSTGRES_DB}" <<< 'CREATE DATABASE :"db";'
    fi
    for init_file in /docker-entrypoint-initdb.d/*; do
        case "${init_file}" in
            *.sql) echo "running ${init_file}"; "${psql[@]}" --dbname "${POSTGRES_DB}" -f "${init_file}" ;;
            *.sh) echo "running ${init_file}"; . "${init_file}" ;;
            *) [[ -e "${init_file}" ]] && echo "ignoring ${init_file}" ;;
        esac
    done
    pg_ctl -D "${PGDATA}" -m fast -w stop
    echo "PostgreSQL init process complete; ready for start up."
fi

exec "$@"
