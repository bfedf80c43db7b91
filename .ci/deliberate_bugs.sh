#!/usr/bin/env bash
# Deliberate bugs: each tests/mutations/*.patch puts one plausible bug into the
# library; the tests named on its "Tests:" line must then fail.
#
#   .ci/deliberate_bugs.sh [PATCH...]
#
# Each patch is applied to a temporary copy of the working tree (tracked and
# untracked files), and its tests run there with pytest -x. A bug counts as caught
# when pytest reports failed tests (exit status 1); the script prints a table and
# fails if any bug is not caught, or if a patch no longer applies.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
patches=("$@")
[ ${#patches[@]} -gt 0 ] || patches=(tests/mutations/*.patch)

export OPENBLAS_NUM_THREADS=1 MPLBACKEND=Agg
missed=0
for patch in "${patches[@]}"; do
  title=$(sed -n 's/^Bug: //p' "$patch")
  read -ra tests <<<"$(sed -n 's/^Tests: //p' "$patch")"
  copy=$(mktemp -d)
  git ls-files -z --cached --others --exclude-standard |
    xargs -0 cp --parents -t "$copy" 2>/dev/null || true
  if ! (cd "$copy" && git apply "$root/$patch"); then
    result="DOES NOT APPLY"
    missed=$((missed + 1))
  else
    set +e
    (cd "$copy" && PYTHONPATH=$copy python -m pytest -q -x -rf -p no:cacheprovider \
      "${tests[@]}" >"$copy/pytest.log" 2>&1)
    status=$?
    set -e
    case $status in
    1) result="caught: $(grep -m1 -E '^FAILED' "$copy/pytest.log" | cut -c8-90 || true)" ;;
    0) result="NOT CAUGHT" missed=$((missed + 1)) ;;
    *) result="ERROR (pytest exit $status)" missed=$((missed + 1)) ;;
    esac
  fi
  printf '%-40s %s\n    %s\n' "$(basename "$patch" .patch)" "$title" "$result"
  rm -rf "$copy"
done
echo "${#patches[@]} deliberate bugs, $missed not caught"
[ "$missed" -eq 0 ]
