#!/usr/bin/env bash
# Makes sure what the tests need is installed and running: the xmlsec1
# verifier (independent signature checks) and a MariaDB server (legacy-side
# tests talk to a real one). Safe to run repeatedly.
set -euo pipefail

need_install=()
command -v xmlsec1 >/dev/null 2>&1 || need_install+=(xmlsec1)
command -v iconv >/dev/null 2>&1 || need_install+=(libc-bin)
if ! command -v mariadbd >/dev/null 2>&1 && ! command -v mysqld >/dev/null 2>&1 \
   && [ ! -x /usr/sbin/mariadbd ] && [ ! -x /usr/sbin/mysqld ]; then
  need_install+=(mariadb-server)
fi
if [ -z "${LGSP_TEST_POSTGRES_DSN:-}" ] && ! command -v pg_ctlcluster >/dev/null 2>&1; then
  need_install+=(postgresql)
fi
if [ ${#need_install[@]} -gt 0 ]; then
  echo "services: installing ${need_install[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q "${need_install[@]}" >/dev/null 2>&1 || {
    $SUDO apt-get update -q >/dev/null 2>&1
    $SUDO apt-get install -y -q "${need_install[@]}"
  }
fi

mariadb_up() {
  if command -v mariadb-admin >/dev/null 2>&1; then
    mariadb-admin -h127.0.0.1 -uroot --connect-timeout=2 ping >/dev/null 2>&1
  else
    mysqladmin -h127.0.0.1 -uroot --connect-timeout=2 ping >/dev/null 2>&1
  fi
}

if [ -z "${LGSP_TEST_MARIADB_DSN:-}" ] && ! mariadb_up; then
  echo "services: starting MariaDB"
  daemon=/usr/sbin/mariadbd; [ -x "$daemon" ] || daemon=/usr/sbin/mysqld
  if command -v start-stop-daemon >/dev/null 2>&1; then
    start-stop-daemon --start --oknodo --background --exec "$daemon"
  else
    "$daemon" >/dev/null 2>&1 &
  fi
  for _ in $(seq 1 60); do mariadb_up && break; sleep 0.5; done
  mariadb_up || { echo "services: MariaDB did not start; see its error log" >&2; exit 1; }
fi
# PostgreSQL: the SQL source's tests also run against it.
pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q >/dev/null 2>&1; }
if [ -z "${LGSP_TEST_POSTGRES_DSN:-}" ] && ! pg_up; then
  echo "services: starting PostgreSQL"
  for v in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
  done
  for _ in $(seq 1 60); do pg_up && break; sleep 0.5; done
  pg_up || { echo "services: PostgreSQL did not start" >&2; exit 1; }
fi

echo "services: xmlsec1 $(xmlsec1 --version | awk '{print $2}'), MariaDB and PostgreSQL ready"
