# Sourced by .ci/run: PostgreSQL and Redis for the server tests on the production stack
# (tests/server/test_postgres_celery.py). Installs the Debian packages when missing, starts both,
# makes the test role and database, and exports CHEMVIZ_TEST_DATABASE_URL / CHEMVIZ_TEST_REDIS_URL.
# Idempotent and quiet; anything that fails leaves the variable unset, and those tests skip
# saying why (the rest of CI goes on).

_ci_services() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 0
  local need="" port=""
  command -v pg_ctlcluster >/dev/null 2>&1 || need="$need postgresql"
  command -v redis-server >/dev/null 2>&1 || need="$need redis-server"
  if [ -n "$need" ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need; } >/dev/null 2>&1 \
      || echo "ci: could not install$need; the PostgreSQL/Redis tests will skip" >&2
  fi

  # PostgreSQL: the first cluster Debian made (postgresql-common), started if down
  if command -v pg_lsclusters >/dev/null 2>&1; then
    read -r ver name port _ < <(pg_lsclusters -h 2>/dev/null | head -n 1) || true
    if [ -n "${ver:-}" ]; then
      pg_ctlcluster "$ver" "$name" start >/dev/null 2>&1 || true    # "already running" is fine
      for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 1; done
      if pg_isready -q -h 127.0.0.1 -p "$port"; then
        local psql="runuser -u postgres -- psql -p $port -qtA"
        $psql -c "SELECT 1 FROM pg_roles WHERE rolname = 'chemviz_test'" | grep -q 1 \
          || $psql -c "CREATE ROLE chemviz_test LOGIN CREATEDB PASSWORD 'chemviz_test'" >/dev/null
        $psql -c "SELECT 1 FROM pg_database WHERE datname = 'chemviz_test'" | grep -q 1 \
          || runuser -u postgres -- createdb -p "$port" -O chemviz_test chemviz_test
        export CHEMVIZ_TEST_DATABASE_URL="postgres://chemviz_test:chemviz_test@127.0.0.1:$port/chemviz_test"
      else
        echo "ci: PostgreSQL did not start; the PostgreSQL tests will skip" >&2
      fi
    fi
  fi

  # Redis: a throwaway instance on 6379 (no persistence) unless one answers already
  if command -v redis-server >/dev/null 2>&1; then
    if ! redis-cli -p 6379 ping 2>/dev/null | grep -q PONG; then
      redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --logfile /tmp/chemviz-ci-redis.log >/dev/null 2>&1 || true
      for _ in $(seq 1 20); do redis-cli -p 6379 ping 2>/dev/null | grep -q PONG && break; sleep 0.5; done
    fi
    if redis-cli -p 6379 ping 2>/dev/null | grep -q PONG; then
      export CHEMVIZ_TEST_REDIS_URL="redis://127.0.0.1:6379/15"
    else
      echo "ci: Redis did not start; the Celery worker test will skip" >&2
    fi
  fi
}
_ci_services || true
