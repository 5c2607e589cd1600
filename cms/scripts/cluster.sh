#!/usr/bin/env bash
# The multi-host shape on one machine (docs/deploy.md): the local PostgreSQL and Redis, two gunicorn
# web processes (ports 8001 and 8002) and two qcluster processes, all on production settings.
# Ctrl-C stops every process it started. `make cluster` runs it; `make run` stays the embedded default.
#
# Overrides: CLUSTER_DATABASE_URL, CLUSTER_REDIS_URL, CLUSTER_HOST, CLUSTER_WEB_WORKERS, SECRET_KEY.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=.venv/bin/python
HOST="${CLUSTER_HOST:-127.0.0.1}"
PORTS=(8001 8002)

export DJANGO_SETTINGS_MODULE=cms.settings.production
export DATABASE_URL="${CLUSTER_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/response_desk_cluster}"
export REDIS_URL="${CLUSTER_REDIS_URL:-redis://127.0.0.1:6379/1}"
# A fresh key per run unless one is given (sessions and signed task payloads do not survive a restart).
export SECRET_KEY="${SECRET_KEY:-$($PY -c 'import secrets; print(secrets.token_urlsafe(48)[:50])')}"
# Plain HTTP on the loopback interface: there is no TLS proxy in front of this demonstration.
export SECURE_SSL_REDIRECT=False
export ALLOWED_HOSTS="$HOST,localhost"
export CSRF_TRUSTED_ORIGINS="http://$HOST:${PORTS[0]},http://$HOST:${PORTS[1]}"
export SITE_BASE_URL="http://$HOST:${PORTS[0]}"
# No SMTP server on this machine: notification e-mails are printed by the task processes.
export EMAIL_BACKEND="${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}"
# What would be shared storage across hosts (an NFS mount, or S3) is one directory here.
export VAR_DIR="${VAR_DIR:-var/cluster}"
export MEDIA_ROOT="${MEDIA_ROOT:-$VAR_DIR/media}"
export PRIVATE_MEDIA_ROOT="${PRIVATE_MEDIA_ROOT:-$VAR_DIR/private_media}"
export STATIC_ROOT="${STATIC_ROOT:-$VAR_DIR/static}"
mkdir -p "$VAR_DIR" "$MEDIA_ROOT" "$PRIVATE_MEDIA_ROOT"

case "$DATABASE_URL" in
postgres://* | postgresql://*) ;;
*)
    echo "make cluster needs PostgreSQL (two qclusters on one SQLite file would both run every schedule)" >&2
    exit 2
    ;;
esac

echo "== database $DATABASE_URL"
$PY - <<'EOF'
import os
from urllib.parse import urlsplit

import psycopg

url = urlsplit(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
with psycopg.connect(os.environ["DATABASE_URL"].replace(f"/{name}", "/postgres", 1), autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
        print(f"created database {name}")
EOF
$PY manage.py migrate --noinput
# Demo data is refused by production settings on purpose; the development settings seed it here,
# against the same database, Redis and media directories.
DJANGO_SETTINGS_MODULE=cms.settings.dev $PY manage.py seed_demo
$PY manage.py collectstatic --noinput -v 0
$PY manage.py check --deploy

pids=()
stop() {
    trap - INT TERM EXIT
    echo
    echo "== stopping ${pids[*]}"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

for port in "${PORTS[@]}"; do
    .venv/bin/gunicorn cms.wsgi --bind "$HOST:$port" --workers "${CLUSTER_WEB_WORKERS:-2}" \
        --access-logfile - --name "response-desk-web-$port" &
    pids+=($!)
done
for _ in 1 2; do
    $PY manage.py qcluster &
    pids+=($!)
done

for port in "${PORTS[@]}"; do
    for _ in $(seq 1 60); do
        curl -fsS -o /dev/null "http://$HOST:$port/healthz" 2>/dev/null && break
        sleep 1
    done
done
echo
echo "== two web processes, two task clusters (PostgreSQL + Redis); Ctrl-C stops all"
for port in "${PORTS[@]}"; do
    echo "   Site: http://$HOST:$port/   Admin: http://$HOST:$port/admin/   Health: http://$HOST:$port/healthz"
done
# Exit (and stop the rest) as soon as any one process dies.
wait -n "${pids[@]}"
