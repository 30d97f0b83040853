# Shared set-up of the bench/routing scripts (sourced): the repository as the working folder, the
# release binary (built when missing), the work folder and a timestamped `say`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
B=.build/release/moe-data
[ -x "$B" ] || swift build -c release --product moe-data
mkdir -p "$WORK"
say() { echo "$(date -u +%H:%M:%S) $*"; }

# build_corpus FOLDER TOKENS: the README's sample sources, mixed by the OpenMoE-8B schedule (once).
build_corpus() {
    if [ ! -f "$1/packed/moe-data.json" ]; then
        say "building $2 tokens of the sample sources into $1"
        $B build manifests/sample.yaml --mixture mixtures/openmoe-8b.yaml --total-tokens "$2" --output "$1" --quiet
    fi
}
