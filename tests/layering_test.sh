#!/usr/bin/env bash
# Checks that every #include "layer/..." in src/<layer> names the layer itself
# or one listed in that layer's DEPS (src/<layer>/CMakeLists.txt), directly or
# through a listed layer's own DEPS. Prints each violation; exits 1 if any.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root/src"

declare -A deps
for dir in */; do
  layer=${dir%/}
  [[ -f $layer/CMakeLists.txt ]] || continue
  deps[$layer]=$(tr '\n' ' ' <"$layer/CMakeLists.txt" |
    sed -n 's/.*lvyuan_library(NAME [a-z_]* .*DEPS \([a-z_ ]*\)\(LIBS\|TESTS\|SRCS\|)\).*/\1/p')
done

# The transitive closure of a layer's DEPS.
closure() {
  local seen=" $1 " queue=($1) next d
  while ((${#queue[@]})); do
    next=${queue[0]}
    queue=("${queue[@]:1}")
    for d in ${deps[$next]:-}; do
      [[ $seen == *" $d "* ]] && continue
      seen+="$d "
      queue+=("$d")
    done
  done
  echo "$seen"
}

status=0
checked=0
for layer in "${!deps[@]}"; do
  allowed=$(closure "$layer")
  while IFS= read -r line; do
    file=${line%%:*}
    included=$(sed -n 's/.*#include "\([a-z_]*\)\/.*/\1/p' <<<"$line")
    [[ -d $included ]] || continue
    checked=$((checked + 1))
    if [[ $allowed != *" $included "* ]]; then
      echo "layering violation: src/$file includes $included/, but $layer may use only:$allowed"
      status=1
    fi
  done < <(grep -rn '#include "[a-z_]*/' "$layer" --include='*.h' --include='*.cc' || true)
done
echo "checked $checked includes across ${#deps[@]} layers"
exit $status
