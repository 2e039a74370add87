#!/bin/sh
# Install Debian's chromium for the browser tests when it is missing.
# Without root (and no sudo) it says so and the browser tests skip, unless CI=true,
# where they fail instead: CI must never pass without having driven a browser.
set -e
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "ensure_chromium: chromium is missing and this user cannot install it (apt-get install chromium)" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure_chromium: no apt-get here; install Chromium and put it on PATH as 'chromium'" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
