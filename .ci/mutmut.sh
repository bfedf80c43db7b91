#!/usr/bin/env bash
# Mutation testing with mutmut 3 (pip install "mutmut>=3").
#
#   .ci/mutmut.sh [math|networks|all] [OUTDIR]
#
# math (the default, run in CI): the pure-math modules (legendre, discretize,
# realize, sequence, evaluation) against their own test modules. networks: the
# networks, against the network tests (slow: about an hour on 2 cores). all: both.
#
# mutmut runs in a temporary copy of the tracked files, so the working tree is
# left alone; the results (`mutmut results --all true`) and the score go to
# OUTDIR (default: a temporary folder), and the script fails below MIN_KILLED
# percent killed (default 90 for math, 0 otherwise). The statements that raise a
# ValidationError are not mutated: their conditions are, but not the message.
set -euo pipefail
cd "$(dirname "$0")/.."

scope=${1:-math}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

math_modules="legendre discretize realize sequence evaluation"
math_tests="tests/test_legendre.py tests/test_discretize.py tests/test_realize.py
  tests/test_sequence.py tests/test_evaluation.py tests/test_independent.py
  tests/test_fit.py::test_evaluate_cell_against_loop
  tests/test_fit.py::test_evaluate_cell_feedforward_paths_agree
  tests/test_fit.py::test_evaluate_cell_bad_input"
network_modules="networks/memory networks/lmu"
network_tests="tests/test_memory.py tests/test_lmu.py tests/test_fit.py
  tests/test_networks_independent.py"
case $scope in
math) modules=$math_modules tests=$math_tests min=${MIN_KILLED:-90} ;;
networks) modules=$network_modules tests=$network_tests min=${MIN_KILLED:-0} ;;
all)
  modules="$math_modules $network_modules"
  tests="$math_tests $network_tests"
  min=${MIN_KILLED:-0}
  ;;
*)
  echo "usage: $0 [math|networks|all] [OUTDIR]" >&2
  exit 2
  ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work"
cd "$work"

toml_list() { printf '"%s", ' "$@" | sed 's/, $//'; }
only=() selected=()
for module in $modules; do only+=("nengo_lmu/$module.py"); done
for test in $tests; do [ -f "${test%%::*}" ] && selected+=("$test"); done
cat >>pyproject.toml <<TOML

[tool.mutmut]
source_paths = ["nengo_lmu"]
only_mutate = [$(toml_list "${only[@]}")]
pytest_add_cli_args_test_selection = [$(toml_list "${selected[@]}")]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q"]
# The text of error messages is not mutated (the conditions that raise them are).
do_not_mutate_patterns = ["raise ValidationError\\("]
TOML

export OPENBLAS_NUM_THREADS=1 MPLBACKEND=Agg
mutmut run --max-children "${MUTMUT_CHILDREN:-2}" >"$out/run.log" 2>&1 || true
mutmut results --all true >"$out/results.txt" 2>&1 || true
tail -3 "$out/run.log" | tr '\r' '\n' | tail -2
python - "$out" "$min" <<'PY'
import collections, pathlib, re, sys

out, minimum = pathlib.Path(sys.argv[1]), float(sys.argv[2])
counts = collections.Counter()
survivors = []
for line in (out / "results.txt").read_text().splitlines():
    match = re.match(r"\s*(\S+): (.+)$", line)
    if match:
        counts[match.group(2)] += 1
        if match.group(2) == "survived":
            survivors.append(match.group(1))
tested = sum(counts.values()) - counts["not checked"] - counts["skipped"]
killed = counts["killed"] + counts["timeout"] + counts["segfault"]
score = 100 * killed / max(tested, 1)
(out / "survivors.txt").write_text("\n".join(survivors) + "\n")
print(dict(counts))
print(f"mutmut: {killed} of {tested} mutants killed ({score:.1f}%); "
      f"survivors in {out / 'survivors.txt'}")
sys.exit(0 if score >= minimum else 1)
PY
