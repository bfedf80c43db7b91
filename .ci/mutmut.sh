#!/usr/bin/env bash
# Mutation testing with mutmut 3 (pip install "mutmut>=3").
#
#   .ci/mutmut.sh [math|networks|all|MODULE] [OUTDIR]
#
# math (the default; 30 to 60 minutes on 2 cores): the pure-math modules
# (legendre, discretize, realize, sequence, evaluation), one module at a time,
# each against its own test modules and tests/test_independent.py. networks: networks/memory.py and
# networks/lmu.py against the network tests (slow: hours on 2 cores; set
# SAMPLE=N to test N mutants drawn at random, with SAMPLE_SEED, default 0).
# all: math, then networks. ci (what .ci/run runs, about 10 minutes): math
# without sequence, whose run takes 20 CPU minutes and has a mutant that loops
# until stopped. MODULE: one of the modules above, alone.
#
# mutmut runs in a temporary copy of the tracked files, so the working tree is
# left alone. Each module's copy (with mutmut's mutants/ folder, for `mutmut
# show NAME`) is kept in OUTDIR/MODULE/work when KEEP=1. OUTDIR (default: a
# temporary folder) receives, per module, mutmut's log, every mutant's result
# (results.txt) and the survivors (survivors.txt), and the scores in score.txt.
# The script fails below MIN_KILLED percent killed over everything it ran
# (default 90 for math and the math modules, 0 otherwise). The statements that
# raise a ValidationError are not mutated: their conditions are, but not the
# message.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scope=${1:-math}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

independent="tests/test_independent.py"
network_tests="tests/test_memory.py tests/test_lmu.py tests/test_fit.py
  tests/test_network_behaviour.py"
tests_of() {
  case $1 in
  legendre | discretize | realize | evaluation)
    echo "tests/test_$1.py $independent" ;;
  sequence)
    echo "tests/test_sequence.py $independent
      tests/test_fit.py::test_evaluate_cell_against_loop
      tests/test_fit.py::test_evaluate_cell_feedforward_paths_agree
      tests/test_fit.py::test_evaluate_cell_bad_input" ;;
  networks) echo "$network_tests" ;;
  memory | lmu) echo "$network_tests" ;;
  esac
}
files_of() {
  case $1 in
  networks) echo "networks/memory networks/lmu" ;;
  memory | lmu) echo "networks/$1" ;;
  *) echo "$1" ;;
  esac
}

math_modules="legendre discretize realize sequence evaluation"
case $scope in
math) runs=$math_modules min=${MIN_KILLED:-90} ;;
ci) runs="legendre discretize realize evaluation" min=${MIN_KILLED:-90} ;;
legendre | discretize | realize | sequence | evaluation)
  runs=$scope min=${MIN_KILLED:-90} ;;
networks | memory | lmu) runs=$scope min=${MIN_KILLED:-0} ;;
all) runs="$math_modules networks" min=${MIN_KILLED:-0} ;;
*)
  echo "usage: $0 [math|ci|networks|all|MODULE] [OUTDIR]" >&2
  exit 2
  ;;
esac

toml_list() { printf '"%s", ' "$@" | sed 's/, $//'; }
export OPENBLAS_NUM_THREADS=1 MPLBACKEND=Agg

run_one() {  # run_one NAME: mutate NAME's files, run its tests, results in $out/NAME
  local name=$1 dir=$out/$1 work only=() selected=()
  mkdir -p "$dir"
  work=$(mktemp -d)
  git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work"
  for file in $(files_of "$name"); do only+=("nengo_lmu/$file.py"); done
  for test in $(tests_of "$name"); do [ -f "${test%%::*}" ] && selected+=("$test"); done
  cat >>"$work/pyproject.toml" <<TOML

[tool.mutmut]
source_paths = ["nengo_lmu"]
only_mutate = [$(toml_list "${only[@]}")]
pytest_add_cli_args_test_selection = [$(toml_list "${selected[@]}")]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q"]
# The text of error messages is not mutated (the conditions that raise them are).
do_not_mutate_patterns = ["raise ValidationError\\\\("]
TOML
  (
    cd "$work"
    children=${MUTMUT_CHILDREN:-2}
    if [ -n "${SAMPLE:-}" ]; then
      # Generate the mutants and the coverage stats only (no mutant matches),
      # then run a random sample of them by name.
      mutmut run --max-children "$children" "no-such-mutant" >"$dir/generate.log" 2>&1 || true
      mutmut results --all true | sed -n 's/^ *\([^ ]*\): .*/\1/p' >"$dir/all_mutants.txt"
      python - "$dir" "$SAMPLE" "${SAMPLE_SEED:-0}" <<'PY'
import pathlib, random, sys

out, n, seed = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
names = sorted((out / "all_mutants.txt").read_text().split())
sample = sorted(random.Random(seed).sample(names, min(n, len(names))))
(out / "sample.txt").write_text("\n".join(sample) + "\n")
PY
      xargs -a "$dir/sample.txt" mutmut run --max-children "$children" >"$dir/run.log" 2>&1 || true
      # Exact names: a sampled "..._mutmut_1" must not pick up "..._mutmut_10".
      mutmut results --all true | grep -F -f <(sed "s/$/:/" "$dir/sample.txt") \
        >"$dir/results.txt" || true
    else
      mutmut run --max-children "$children" >"$dir/run.log" 2>&1 || true
      mutmut results --all true >"$dir/results.txt" 2>&1 || true
    fi
  )
  if [ "${KEEP:-0}" = 1 ]; then
    rm -rf "$dir/work" && mv "$work" "$dir/work"
  else
    rm -rf "$work"
  fi
}

for name in $runs; do
  run_one "$name"
done

python - "$out" "$min" $runs <<'PY' | tee "$out/score.txt"
import collections, pathlib, re, sys

out, minimum, names = pathlib.Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
total = collections.Counter()
for name in names:
    counts = collections.Counter()
    survivors = []
    for line in (out / name / "results.txt").read_text().splitlines():
        match = re.match(r"\s*(\S+): (.+)$", line)
        if match:
            counts[match.group(2)] += 1
            if match.group(2) != "killed":
                survivors.append(f"{match.group(1)}: {match.group(2)}")
    (out / name / "survivors.txt").write_text("\n".join(survivors) + "\n")
    tested = sum(counts.values()) - counts["not checked"] - counts["skipped"]
    killed = counts["killed"] + counts["timeout"] + counts["segfault"]
    total.update(killed=killed, tested=tested)
    print(f"{name}: {killed} of {tested} killed "
          f"({100 * killed / max(tested, 1):.1f}%) {dict(counts)}")
score = 100 * total["killed"] / max(total["tested"], 1)
print(f"mutmut: {total['killed']} of {total['tested']} mutants killed ({score:.1f}%); "
      f"survivors in {out}/*/survivors.txt")
sys.exit(0 if score >= minimum else 1)
PY
