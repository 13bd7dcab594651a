#!/bin/sh
# Debian's chromium for the report's browser tests (tests/report/test_browser.py).
# Idempotent: does nothing when /usr/bin/chromium is already there. Quiet: apt's progress goes to
# /dev/null, its errors still reach stderr. Playwright's own browser download is never used.
set -eu

CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null

if [ ! -x "$CHROMIUM" ]; then
    echo "install-browser: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi
