#!/usr/bin/env bash
# CI fragment: nengo_lmu on the nengo_loihi emulator, in nengo_loihi's own virtual
# environment.
#
# nengo_loihi 1.1.0 (the latest) installs beside nengo 4.1, but its emulator needs
# numpy < 2, so it gets a venv of its own. Runs tests/test_loihi.py: a spiking
# LegendreMemory wired for Loihi, on the emulator and on the reference simulator
# (about 2 minutes on 2 cores).
#
# Usage: bash .ci/loihi.sh [--install-only]
#   --install-only   only create the venv (or check an existing one)
#   LOIHI_VENV=DIR   use (and keep) this venv instead of a temporary one; an
#                    existing one is reused as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=.ci/common.sh
source .ci/common.sh

install_only=false
for argument in "$@"; do
    case "$argument" in
        --install-only) install_only=true ;;
        *)
            echo "unknown argument: $argument" >&2
            exit 2
            ;;
    esac
done

python=$(command -v python3.11) || {
    echo "the nengo_loihi venv needs python3.11" >&2
    exit 1
}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
venv=${LOIHI_VENV:-$scratch/venv}

start=$SECONDS
if [ ! -x "$venv/bin/python" ]; then
    echo "+ venv $venv"
    make_venv "$venv" "$python"
    venv_pip "$venv" "nengo-loihi==1.1.0" "numpy<2" -e ".[tests]"
    echo "install took $((SECONDS - start)) s"
fi
"$venv/bin/python" -W "ignore:This version of \`nengo_loihi\`:UserWarning" -c "
import nengo, nengo_loihi, nengo_lmu, numpy
print('nengo', nengo.__version__, 'nengo_loihi', nengo_loihi.__version__,
      'numpy', numpy.__version__)"
if $install_only; then
    exit 0
fi

export MPLBACKEND=Agg
echo "+ pytest tests/test_loihi.py"
step=$SECONDS
nice "$venv/bin/python" -m pytest -p no:cacheprovider -q -rs tests/test_loihi.py \
    --require-run tests/test_loihi.py
echo "tests took $((SECONDS - step)) s"
echo "all took $((SECONDS - start)) s"
