#!/usr/bin/env bash
# Bootstrap for MlOps.Pipelines: checks the .NET SDK, fetches native libraries once, compiles build/ only
# when one of its sources changed, then runs it with every argument. Quiet on success; on a compile error it
# prints the compiler's full output.
set -eo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="$ROOT/.nuke/bin"
STAMP="$BIN/.sources-stamp"

# Everything the compiled build program depends on, as "path size mtime" lines (bin/ and obj/ excluded).
sources_stamp() {
  {
    find "$ROOT/build" "$ROOT/src" "$ROOT/pipelines" \( -name bin -o -name obj \) -prune -o -type f \
      \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' \) -printf '%p %s %T@\n'
    find "$ROOT" -maxdepth 1 -type f \( -name 'Directory.*' -o -name global.json \) -printf '%p %s %T@\n'
    find "$ROOT/.nuke/native" -maxdepth 1 -type f -printf '%p %s %T@\n' 2>/dev/null || true
  } | LC_ALL=C sort | cksum
}

# Fast path: nothing changed since the last compile.
if [[ -f "$BIN/build.dll" && -f "$STAMP" && "$(sources_stamp)" == "$(cat "$STAMP")" ]]; then
  exec dotnet "$BIN/build.dll" "$@"
fi

fail() { echo "build.sh: $*" >&2; exit 2; }

check_sdk() {
  local install="Install the .NET SDK 10 or newer: https://dotnet.microsoft.com/download (Debian/Ubuntu: the dotnet-sdk-10.0 package from Microsoft's feed), then run ./build.sh again."
  command -v dotnet >/dev/null 2>&1 || fail "the 'dotnet' command was not found. $install"
  local newest
  newest="$(dotnet --list-sdks 2>/dev/null | sed -E 's/^([0-9]+)\..*/\1/' | sort -n | tail -n 1)"
  [[ -n "$newest" && "$newest" -ge 10 ]] || fail "found .NET SDK ${newest:-none}, but 10 or newer is needed. $install"
}

# DuckDB's C library (MIT) from its npm package, cached per user so fresh clones do not download it again.
DUCKDB_PACKAGE_VERSION="1.5.6-r.1"
fetch_duckdb() {
  local platform library
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) platform=linux-x64; library=libduckdb.so ;;
    Linux-aarch64) platform=linux-arm64; library=libduckdb.so ;;
    Darwin-arm64) platform=darwin-arm64; library=libduckdb.dylib ;;
    Darwin-x86_64) platform=darwin-x64; library=libduckdb.dylib ;;
    *) fail "no DuckDB library is known for $(uname -s) $(uname -m)." ;;
  esac
  local target="$ROOT/.nuke/native/$library"
  [[ -f "$target" ]] && return 0
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/mlops-pipelines/duckdb-$DUCKDB_PACKAGE_VERSION-$platform"
  if [[ ! -f "$cache/$library" ]]; then
    command -v npm >/dev/null 2>&1 || fail "npm is needed once to fetch DuckDB's library (@duckdb/node-bindings-$platform); install Node.js with npm."
    local scratch
    scratch="$(mktemp -d)"
    echo "build.sh: fetching DuckDB $DUCKDB_PACKAGE_VERSION ($platform) from the npm registry, once" >&2
    (cd "$scratch" && npm pack --silent "@duckdb/node-bindings-$platform@$DUCKDB_PACKAGE_VERSION" >/dev/null) \
      || { rm -rf "$scratch"; fail "npm pack @duckdb/node-bindings-$platform@$DUCKDB_PACKAGE_VERSION failed (see above)."; }
    tar -xzf "$scratch"/*.tgz -C "$scratch" "package/$library"
    mkdir -p "$cache"
    mv "$scratch/package/$library" "$cache/$library.partial" && mv "$cache/$library.partial" "$cache/$library"
    rm -rf "$scratch"
  fi
  mkdir -p "$ROOT/.nuke/native"
  # A hard link costs no space; a copy where the cache is on another file system.
  ln -f "$cache/$library" "$target.partial" 2>/dev/null || cp "$cache/$library" "$target.partial"
  mv "$target.partial" "$target"
}

compile_build() {
  mkdir -p "$BIN" "$ROOT/.nuke/temp"
  local log="$ROOT/.nuke/temp/bootstrap-build.log"
  [[ -t 2 ]] && echo "build.sh: compiling build/ ..." >&2
  if ! dotnet build "$ROOT/build/build.csproj" -c Release -o "$BIN" -nologo -clp:NoSummary >"$log" 2>&1; then
    cat "$log" >&2
    echo "build.sh: compiling build/ failed (output above, also in .nuke/temp/bootstrap-build.log)" >&2
    exit 1
  fi
}

check_sdk
fetch_duckdb
mkdir -p "$ROOT/.nuke/temp"
# One compile at a time when several builds start together.
exec 9>"$ROOT/.nuke/temp/bootstrap.lock"
command -v flock >/dev/null 2>&1 && flock 9
stamp="$(sources_stamp)"
if [[ ! -f "$BIN/build.dll" || ! -f "$STAMP" || "$stamp" != "$(cat "$STAMP")" ]]; then
  compile_build
  echo "$stamp" >"$STAMP"
fi
exec 9>&-
exec dotnet "$BIN/build.dll" "$@"
