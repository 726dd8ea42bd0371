#!/bin/sh
# Makes sure a Dovecot IMAP server binary exists for the integration tests and prints its path.
# As root (CI, this machine) it installs Debian's dovecot-imapd after one `apt-get update`;
# otherwise it fails with one line that says what to install. Dovecot is only started by the
# tests themselves (test/helpers/dovecot.ts), with their own configuration: the system service is
# never enabled or started here.
set -eu

find_dovecot() {
  for candidate in "${DOVECOT_BIN:-}" "$(command -v dovecot 2>/dev/null || true)" /usr/sbin/dovecot /usr/local/sbin/dovecot; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if bin=$(find_dovecot); then
  echo "$bin"
  exit 0
fi
# --find-only: say whether it is there, install nothing (npm test installs every missing package at once).
[ "${1:-}" = "--find-only" ] && exit 1

if [ "$(id -u)" != "0" ]; then
  echo "ensure-dovecot: Dovecot is not installed; install it with: sudo apt-get install -y dovecot-imapd (or set DOVECOT_BIN)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-dovecot: Dovecot is not installed and apt-get is missing; install dovecot (imapd) with your package manager or set DOVECOT_BIN" >&2
  exit 1
fi

# Debian's package starts the system service when it can; the tests do not need it, so forbid that.
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends dovecot-imapd; } >"$log" 2>&1; then
  [ "$created_policy" = 1 ] && rm -f "$policy"
  echo "ensure-dovecot: apt-get install dovecot-imapd failed (log: $log)" >&2
  exit 1
fi
[ "$created_policy" = 1 ] && rm -f "$policy"
rm -f "$log"

if bin=$(find_dovecot); then
  echo "$bin"
  exit 0
fi
echo "ensure-dovecot: dovecot-imapd was installed but no dovecot binary was found" >&2
exit 1
