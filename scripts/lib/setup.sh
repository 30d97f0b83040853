# Shared set-up for scripts/demo and scripts/test: sourced, not run.
# It installs only what is missing, says what and why, and builds the release binary
# (SwiftPM rebuilds only what changed, so a second run builds nothing).

set -euo pipefail

# The repository root, whatever the caller's current folder.
MOE_DATA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MOE_DATA_BINARY="$MOE_DATA_ROOT/.build/release/moe-data"

say() { printf 'moe-data setup: %s\n' "$*"; }
stop() { printf 'moe-data setup: error: %s\n' "$*" >&2; exit 1; }

# Debian packages, each with the reason it is needed.
SYSTEM_PACKAGES=(
    "pkg-config|finds the C libraries below for the Swift build"
    "libzstd-dev|zstd compression of MDS shards and .jsonl.zst input"
    "libsentencepiece-dev|the SentencePiece tokenizer library (encode, train)"
    "libsqlite3-dev|the catalog (catalog.sqlite)"
    "libopenblas-dev|matrix products of the MoE trainer"
    "zlib1g-dev|.jsonl.gz input and GZIP Parquet pages"
    "libsnappy-dev|SNAPPY Parquet pages (format: parquet)"
    "liblz4-dev|LZ4_RAW Parquet pages (format: parquet)"
    "python3-doc|the built-in sample's prose (Python's documentation sources)"
    "python3-dev|the built-in sample's code (CPython's headers; the standard library)"
)
# Only the tests need these.
TEST_PACKAGES=(
    "sentencepiece|spm_train and spm_encode, the reference the tests compare ids with"
    "zstd|the real zstd tool that makes the tests' .zst inputs"
    "gzip|the real gzip tool that makes the tests' .gz inputs"
    "python3|interop checks through Python's own readers"
    "python3-pip|installs the Python packages of the interop checks"
)
# The one-node Slurm of scripts/slurm-local, which the tests of `moe-data slurm` start.
SLURM_PACKAGES=(
    "slurm-wlm|slurmctld, slurmd and the client commands (sbatch, squeue, sacct, scancel)"
    "munge|the authentication Slurm's daemons and clients use between each other"
)

package_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else stop "installing packages needs root: run as root or install sudo (command: $*)"
    fi
}

# install_packages ENTRY...: each entry is "package|reason".
install_packages() {
    command -v dpkg-query >/dev/null 2>&1 || stop "this is not a Debian-like system (no dpkg-query); install by hand: ${*%%|*}"
    local missing=() entry
    for entry in "$@"; do
        package_installed "${entry%%|*}" || missing+=("$entry")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "system packages: all ${#@} present, nothing installed"
        return
    fi
    say "installing ${#missing[@]} missing system package(s) with apt-get:"
    local names=()
    for entry in "${missing[@]}"; do
        say "  ${entry%%|*}: ${entry#*|}"
        names+=("${entry%%|*}")
    done
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${names[@]}" >/dev/null
}

build_release() {
    command -v swift >/dev/null 2>&1 || stop "swift is not on PATH: install Swift 6 (https://swift.org/install)"
    local before=""
    [ -x "$MOE_DATA_BINARY" ] && before=$(stat -c %Y.%s "$MOE_DATA_BINARY")
    say "swift build -c release --product moe-data (SwiftPM rebuilds only what changed)"
    (cd "$MOE_DATA_ROOT" && swift build -c release --product moe-data) >"$MOE_DATA_ROOT/.build-release.log" 2>&1 \
        || { tail -n 40 "$MOE_DATA_ROOT/.build-release.log" >&2; stop "the release build failed (log: .build-release.log)"; }
    if [ -n "$before" ] && [ "$(stat -c %Y.%s "$MOE_DATA_BINARY")" = "$before" ]; then
        say "moe-data is up to date, not rebuilt"
    else
        say "built $MOE_DATA_BINARY"
    fi
}

# Python packages of the tests' interop checks: "requirement|pip flags|reason".
PYTHON_PACKAGES=(
    "sentencepiece==0.1.99||Python's SentencePiece; 0.1.99 runs the same encoder as Debian's libsentencepiece 0.1.97"
    "protobuf||reads and edits .model files in the tokenizer tests"
    "numpy||what the interop readers below decode into"
    "safetensors||Python's own safetensors loads a trained checkpoint (SafetensorsInteropTests)"
    "mosaicml-streaming==0.13.0|--no-deps|its MDSReader reads tokens/ and packed/ (MDSInteropTests); --no-deps: reading needs none of torch or the cloud SDKs"
    "xxhash==3.8.2||mosaicml-streaming's shard hash check (xxh64)"
    "zstd||mosaicml-streaming's zstd decompression of shards"
    "filelock||imported by mosaicml-streaming's reader modules"
    "typing_extensions||imported by mosaicml-streaming's reader modules"
    "pyarrow||writes the Parquet files the Parquet tests read, and their JSONL export (ParquetFixtures)"
    "duckdb||a second, independent Parquet writer for the Parquet tests"
    "tokenizers==0.22.1||Hugging Face tokenizers loads what tokenizer export-hf writes (TokenizerExportHFTests)"
    "megatron-core==0.16.1|--no-deps|its IndexedDataset reads what \`moe-data export megatron\` writes (MegatronExportTests); --no-deps: reading needs only numpy, not torch"
)

# The Python the tests run: MOE_DATA_PYTHON, else python3 on PATH.
MOE_DATA_PYTHON=${MOE_DATA_PYTHON:-python3}

python_has() { # python_has REQUIREMENT: is that distribution (at that exact version, if pinned) installed?
    "$MOE_DATA_PYTHON" - "$1" <<'PY' 2>/dev/null
import sys
from importlib import metadata
name, _, pinned = sys.argv[1].partition("==")
try:
    have = metadata.version(name)
except metadata.PackageNotFoundError:
    sys.exit(1)
sys.exit(0 if not pinned or have == pinned else 1)
PY
}

install_python_packages() {
    command -v "$MOE_DATA_PYTHON" >/dev/null 2>&1 || stop "no $MOE_DATA_PYTHON on PATH"
    "$MOE_DATA_PYTHON" -m pip --version >/dev/null 2>&1 || stop "$MOE_DATA_PYTHON has no pip (install python3-pip)"
    local entry requirement flags missing=0
    for entry in "${PYTHON_PACKAGES[@]}"; do
        IFS='|' read -r requirement flags _ <<<"$entry"
        python_has "$requirement" && continue
        missing=$((missing + 1))
        say "pip install $requirement $flags: ${entry##*|}"
        # shellcheck disable=SC2086 # flags are words
        "$MOE_DATA_PYTHON" -m pip install -q $flags "$requirement" 2>/dev/null \
            || "$MOE_DATA_PYTHON" -m pip install -q --break-system-packages $flags "$requirement" \
            || stop "pip could not install $requirement"
    done
    [ "$missing" -eq 0 ] && say "Python packages: all ${#PYTHON_PACKAGES[@]} present, nothing installed"
    return 0
}
