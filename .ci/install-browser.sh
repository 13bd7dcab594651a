#!/bin/sh
# Debian's chromium and a CJK font for the report's browser tests (tests/report/test_browser.py):
# without a font that has Chinese glyphs the zh report renders as empty boxes.
# Idempotent: installs only what is missing. Quiet: apt's progress goes to /dev/null, its errors
# still reach stderr. Playwright's own browser download is never used.
set -eu

CHROMIUM=/usr/bin/chromium
CJK_FONT_PACKAGE=fonts-noto-cjk

missing=""
[ -x "$CHROMIUM" ] || missing="$missing chromium"
dpkg-query -W -f='${Status}' "$CJK_FONT_PACKAGE" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $CJK_FONT_PACKAGE"
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086 # $missing is a list of package names
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null

if [ ! -x "$CHROMIUM" ]; then
    echo "install-browser: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi
if ! fc-list :lang=zh family | grep -q .; then
    echo "install-browser: apt-get finished but no font with Chinese glyphs is installed" >&2
    exit 1
fi
