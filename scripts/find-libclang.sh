#!/usr/bin/env bash
# Prints the path of the first libclang shared library that RocksDB's bindgen (through clang-sys)
# would load, and exits 1 when there is none.
#
# clang-sys accepts `libclang.so`, `libclang-N.so`, `libclang.so.N` and `libclang-N.so.M` (N, M
# version numbers); it ignores other libraries whose names start with `libclang`, such as the C++
# interface `libclang-cpp.so.14` that Debian installs without libclang itself. A loose glob like
# `libclang*.so*` takes one for the other, so this matches clang-sys's names exactly.
#
# Usage: find-libclang.sh [--root DIR]
#   --root DIR  search DIR/usr/lib/... instead of /usr/lib/... (tests use a fake library tree);
#               with a root, LIBCLANG_PATH, llvm-config and the ldconfig cache are not consulted.
set -euo pipefail

root=""
if [ "${1:-}" = "--root" ]; then
  root="${2:?--root needs a directory}"
fi

is_libclang_name() {
  [[ "$1" =~ ^libclang(-[0-9]+(\.[0-9]+)*)?\.so(\.[0-9]+)*$ ]]
}

search_dir() {
  local dir=$1 file
  [ -d "$dir" ] || return 1
  for file in "$dir"/libclang*.so*; do
    [ -e "$file" ] || continue
    if is_libclang_name "$(basename "$file")"; then
      echo "$file"
      return 0
    fi
  done
  return 1
}

dirs=()
if [ -z "$root" ]; then
  # clang-sys looks where LIBCLANG_PATH points first, then where llvm-config says.
  # LIBCLANG_PATH may name the library itself or its directory.
  if [ -n "${LIBCLANG_PATH:-}" ]; then
    if [ -f "$LIBCLANG_PATH" ] && is_libclang_name "$(basename "$LIBCLANG_PATH")"; then
      echo "$LIBCLANG_PATH"
      exit 0
    fi
    dirs+=("$LIBCLANG_PATH")
  fi
  if command -v llvm-config >/dev/null 2>&1; then
    dirs+=("$(llvm-config --libdir 2>/dev/null || true)")
  fi
fi
shopt -s nullglob
for dir in "$root"/usr/lib/llvm-*/lib "$root"/usr/local/llvm*/lib "$root"/usr/lib/*-linux-gnu \
  "$root"/lib/*-linux-gnu "$root"/usr/lib64 "$root"/usr/lib "$root"/usr/local/lib "$root"/lib64 "$root"/lib; do
  dirs+=("$dir")
done
shopt -u nullglob

for dir in "${dirs[@]}"; do
  search_dir "$dir" && exit 0
done

if [ -z "$root" ]; then
  # Anything else the dynamic loader knows of.
  while read -r name path; do
    if is_libclang_name "$name" && [ -e "$path" ]; then
      echo "$path"
      exit 0
    fi
  done < <(ldconfig -p 2>/dev/null | sed -n 's/^[[:space:]]*\([^ ]*\) .*=> \(.*\)$/\1 \2/p')
fi
exit 1
