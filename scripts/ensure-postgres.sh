#!/usr/bin/env bash
# Make sure a local PostgreSQL answers on 127.0.0.1:5432, for the diary tests and benchmarks.
#
# Starts the Debian cluster when it is not answering; installs postgresql with apt-get when it is
# absent (and then lets local connections from 127.0.0.1 in without a password, as the tests expect).
# Set BABYSKIN_SKIP_POSTGRES=1 to skip this (the PostgreSQL tests are then skipped, with the reason).
set -euo pipefail

HOST="${BABYSKIN_PG_HOST:-127.0.0.1}"
PORT="${BABYSKIN_PG_PORT:-5432}"

say() { echo "ensure-postgres: $*" >&2; }
answering() { command -v pg_isready >/dev/null && pg_isready -q -h "$HOST" -p "$PORT"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "${BABYSKIN_SKIP_POSTGRES:-0}" = "1" ]; then
    say "skipped (BABYSKIN_SKIP_POSTGRES=1)"
    exit 0
fi
if answering; then
    exit 0
fi

installed_now=0
if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    say "PostgreSQL is not installed; installing it with apt-get"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    installed_now=1
fi

version="$(ls /etc/postgresql | sort -V | tail -n 1)"
if [ "$installed_now" = "1" ]; then
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    if ! as_root grep -q "^host all all 127.0.0.1/32 trust" "$hba"; then
        say "allowing password-less connections from 127.0.0.1 (test machine) in $hba"
        as_root sed -i "1i host all all 127.0.0.1/32 trust" "$hba"
    fi
fi

say "starting PostgreSQL $version (cluster main)"
as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do
    if answering; then
        say "PostgreSQL $version is answering on $HOST:$PORT"
        exit 0
    fi
    sleep 1
done
say "PostgreSQL did not answer on $HOST:$PORT after 30 s; see /var/log/postgresql/postgresql-$version-main.log"
exit 1
