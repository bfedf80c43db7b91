# Shared by the CI scripts, which source it: the setup of their virtual
# environments.

# make_venv DIR PYTHON: a new virtual environment in DIR, made with PYTHON, with
# an up-to-date pip.
make_venv() {
    "$2" -m venv "$1"
    venv_pip "$1" --upgrade pip
}

# venv_pip DIR ARGUMENTS...: pip install --quiet ARGUMENTS into the virtual
# environment in DIR. pip's configuration on these machines names index folders
# that may not exist: its warnings about them are dropped, everything else kept.
venv_pip() {
    local venv=$1
    shift
    "$venv/bin/python" -m pip install --quiet "$@" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}
