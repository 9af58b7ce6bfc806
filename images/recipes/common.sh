#!/bin/sh
# Helpers shared by the image recipes: sourced, never run on their own.

log() {
  echo "[recipe] $*"
}

# ensure_dir DIR OWNER MODE: creates DIR with the given owner and mode.
ensure_dir() {
  mkdir -p "$1"
  chown "$2" "$1"
  chmod "$3" "$1"
}
