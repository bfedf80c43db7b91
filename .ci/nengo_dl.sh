#!/usr/bin/env bash
# CI fragment: nengo_lmu on NengoDL, in NengoDL's own virtual environment.
#
# NengoDL 3.6.0 installs on Python 3.11 only with these pins (newer TensorFlow
# fails with "No module named 'keras.engine'"), which hold numpy below 2, so it
# gets a venv of its own. Runs tests/test_nengo_dl.py (NengoDL against the
# reference simulator) and examples/nengo_dl_training.py in quick mode.
#
# Usage: bash .ci/nengo_dl.sh [--install-only] [--full-example] [--suite]
#   --install-only     only create the venv (or check an existing one)
#   --full-example     run the example in full (8 epochs, about 2 minutes)
#   --suite            also run the whole test suite on NengoDL in float64, less
#                      two tests of features NengoDL lacks (about 3 minutes)
#   NENGO_DL_VENV=DIR  use (and keep) this venv instead of a temporary one; an
#                      existing one is reused as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=.ci/common.sh
source .ci/common.sh

install_only=false
suite=false
quick=1
for argument in "$@"; do
    case "$argument" in
        --install-only) install_only=true ;;
        --full-example) quick=0 ;;
        --suite) suite=true ;;
        *)
            echo "unknown argument: $argument" >&2
            exit 2
            ;;
    esac
done

python=$(command -v python3.11) || {
    echo "NengoDL needs python3.11 (TensorFlow 2.12 has no wheels for newer)" >&2
    exit 1
}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# A temporary venv (1.9 GB) goes with the scratch folder.
venv=${NENGO_DL_VENV:-$scratch/venv}

start=$SECONDS
if [ ! -x "$venv/bin/python" ]; then
    echo "+ venv $venv"
    make_venv "$venv" "$python"
    # nengo-dl is a source package whose built wheel requires `tensorflow`, the
    # full build (1.5 GB installed, and it overwrites tensorflow-cpu's files):
    # install the CPU build and nengo-dl's other requirements first, then
    # nengo-dl itself without dependencies.
    venv_pip "$venv" "tensorflow-cpu==2.12.1" "keras==2.12.0" "numpy==1.24.3" \
        "jinja2>=2.10.1" "packaging>=20.0" "progressbar2>=3.39.0" \
        scikit-learn -e ".[tests]"
    venv_pip "$venv" --no-deps "nengo-dl==3.6.0"
    echo "install took $((SECONDS - start)) s"
fi
"$venv/bin/python" -c "import nengo, nengo_dl, nengo_lmu, numpy, tensorflow as tf
print('nengo', nengo.__version__, 'nengo_dl', nengo_dl.__version__,
      'tensorflow', tf.__version__, 'numpy', numpy.__version__)" 2>/dev/null
if $install_only; then
    exit 0
fi

export MPLBACKEND=Agg TF_CPP_MIN_LOG_LEVEL=2
echo "+ pytest tests/test_nengo_dl.py"
step=$SECONDS
nice "$venv/bin/python" -m pytest -p no:cacheprovider -q -rs tests/test_nengo_dl.py \
    --require-run tests/test_nengo_dl.py
echo "tests took $((SECONDS - step)) s"

echo "+ NENGO_LMU_QUICK=$quick python examples/nengo_dl_training.py"
step=$SECONDS
out=$scratch
NENGO_LMU_QUICK=$quick NENGO_LMU_FIGURE="$out/nengo_dl_training.png" \
    nice "$venv/bin/python" examples/nengo_dl_training.py
test -s "$out/nengo_dl_training.png"
echo "example took $((SECONDS - step)) s"

if $suite; then
    # The whole suite against nengo_dl.Simulator in float64 (in float32 the
    # tests that check exactness to 1e-8 fail on rounding). Deselected: a
    # Lowpass with method="bilinear" (NengoDL discretises every Lowpass with
    # zoh) and RLS learning (NengoDL has no builder for nengo.RLS).
    echo "+ pytest (whole suite on NengoDL, float64)"
    step=$SECONDS
    printf '%s\n' \
        "import nengo_dl" \
        "" \
        "def loader(request):" \
        "    def Simulator(network, *args, **kwargs):" \
        "        kwargs.setdefault('progress_bar', False)" \
        "        if network is not None:" \
        "            with network:" \
        "                nengo_dl.configure_settings(dtype='float64')" \
        "        return nengo_dl.Simulator(network, *args, **kwargs)" \
        "    return Simulator" >"$out/nengo_dl_float64.py"
    PYTHONPATH="$out" nice "$venv/bin/python" -m pytest -p no:cacheprovider -q \
        -o nengo_simloader=nengo_dl_float64.loader \
        -W "ignore:This version of NengoDL has not been tested:UserWarning" \
        -W "ignore:module 'sre_constants' is deprecated:DeprecationWarning" \
        -W "ignore:No GPU support detected:UserWarning" \
        --deselect "tests/test_discretize.py::test_synapse_mapping_exact_in_simulation[synapse3]" \
        --deselect "tests/test_lmu.py::test_learning_reduces_error[rule1]"
    echo "suite took $((SECONDS - step)) s"
fi
echo "all took $((SECONDS - start)) s"
