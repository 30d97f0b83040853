#!/usr/bin/env bash
# Builds the libFuzzer harnesses of bench/fuzz/harness/ into $FUZZ_OUT (default .build/fuzz).
#
# Instrumenting the whole package with SwiftPM would rebuild everything (ArgumentParser, the
# trainer, ...) twice over; instead each harness is compiled with swiftc directly, as a module
# named MoeData holding only the source files it exercises (so it reaches internal types such
# as LineReader), against instrumented static libraries built once: JSON, FileSupport, MDS,
# PackedFormat (the manifest's packed_format names its PackedRowLayout) and Yams (+ its C part). Outputs are rebuilt only when one of their inputs is newer.
#
# Usage: bench/fuzz/build.sh [harness...]   (default: every harness)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${FUZZ_OUT:-$ROOT/.build/fuzz}
FUZZ_DIR=$ROOT/bench/fuzz
mkdir -p "$OUT/lib"
say() { echo "fuzz-build: $*" >&2; }

# -O: the harnesses run millions of inputs; overflow and bounds traps stay on at -O.
SAN=(-sanitize=fuzzer,address)
SWIFT_FLAGS=(-O -g -parse-as-library -swift-version 6 "${SAN[@]}" -use-ld=lld)
C_FLAGS=(-O1 -g -fsanitize=address,fuzzer-no-link)
M=$ROOT/Sources/MoeData
S=$FUZZ_DIR/harness/Support.swift

# Files of Sources/MoeData each harness compiles, besides its own harness file. Readers check
# their paths with InputFiles, which knows the manifest's SourceSpec, so the manifest folder (and
# with it Yams) comes along with every reader; `swiftc -typecheck` with these lists finds a missing one.
sources_for() {
    local manifest="$M/Manifest/*.swift $M/Read/InputFiles.swift $M/Support/FileErrors.swift $M/Support/MoeDataError.swift"
    manifest+=" $M/Support/ByteSize.swift $M/Support/ScaledNumber.swift $M/Support/TokenCount.swift"
    manifest+=" $M/Tokenize/SentinelSource.swift"
    case $1 in
        json|parquet) ;;
        jsonl) echo "$S $M/Read/ByteSource.swift $M/Read/LineReader.swift $M/Read/RecordReaders.swift" \
            "$M/Read/Document.swift $manifest" ;;
        zstd|gzip) echo "$S $M/Read/ByteSource.swift $M/Read/LineReader.swift $manifest" ;;
        mds) echo "$S" ;;
        spm_model) local n=$M/Tokenize/Native
            echo "$n/SentencePieceModelFile.swift $n/NativeUnigramEncoder*.swift $n/UnigramPieceTable.swift" \
            "$n/BestPathNode.swift $n/ScratchPool.swift $n/PieceTrie.swift $n/PrecompiledCharsMap.swift" \
            "$M/Support/MoeDataError.swift" ;;
        manifest) echo "$manifest" ;;
        mixture) echo "$M/Mix/MixtureParser.swift $M/Mix/Mixture.swift $M/Mix/MixSchedule.swift" \
            "$M/Mix/WideArithmetic.swift $M/Objective/Denoiser.swift $M/Objective/ObjectiveSpec.swift" \
            "$M/Objective/ObjectiveKind.swift $M/Tokenize/ModeTokens.swift $manifest" ;;
        *) say "unknown harness '$1'"; exit 2 ;;
    esac
}
needs_yams() { case $1 in jsonl|zstd|gzip|manifest|mixture) return 0 ;; *) return 1 ;; esac; }

# True when $1 is missing or older than any of the remaining paths (files or folders).
stale() {
    local target=$1; shift
    [[ -e $target ]] || return 0
    [[ -n $(find "$@" -newer "$target" -print -quit 2>/dev/null) ]]
}

# One instrumented static library per pure-Swift package target: $1 is its name (and folder under
# Sources), the rest are the libraries it imports (built before it).
build_library() {
    local name=$1; shift
    local srcs=("$ROOT/Sources/$name"/*.swift) deps=()
    for d in "$@"; do deps+=("$OUT/lib/lib$d.a"); done
    stale "$OUT/lib/lib$name.a" "${srcs[@]}" "${deps[@]}" "$0" || return 0
    say "$name (instrumented static library)"
    (cd "$OUT/lib" && swiftc "${SWIFT_FLAGS[@]}" -module-name "$name" -emit-module -emit-library -static \
        -I "$OUT/lib" -I "$ROOT/Sources/CZstd" "${srcs[@]}" -o "lib$name.a")
}

build_libraries() {
    build_library JSON
    build_library FileSupport
    build_library MDS JSON FileSupport
    build_library PackedFormat MDS JSON FileSupport
    build_library Parquet
}

yams_dir() {
    local d=$ROOT/.build/checkouts/Yams
    if [[ ! -d $d ]]; then
        say "resolving packages for the Yams checkout"
        (cd "$ROOT" && swift package resolve >&2)
    fi
    echo "$d"
}

build_yams() {
    local y; y=$(yams_dir)
    stale "$OUT/lib/libYams.a" "$y/Sources" "$0" || return 0
    say "CYaml and Yams (instrumented static libraries)"
    local objs=()
    for c in "$y"/Sources/CYaml/src/*.c; do
        local o=$OUT/lib/cyaml-$(basename "$c" .c).o
        clang "${C_FLAGS[@]}" -DYAML_DECLARE_STATIC -I "$y/Sources/CYaml/include" -c "$c" -o "$o"
        objs+=("$o")
    done
    rm -f "$OUT/lib/libCYaml.a"
    ar rcs "$OUT/lib/libCYaml.a" "${objs[@]}"
    (cd "$OUT/lib" && swiftc "${SWIFT_FLAGS[@]}" -module-name Yams -emit-module -emit-library -static \
        -D SWIFT_PACKAGE -I "$y/Sources/CYaml/include" -Xcc -DYAML_DECLARE_STATIC \
        "$y"/Sources/Yams/*.swift -o libYams.a)
}

build_harness() {
    local h=$1 srcs yams_flags=()
    # shellcheck disable=SC2207
    srcs=($(sources_for "$h"))
    if needs_yams "$h"; then
        build_yams
        yams_flags=(-I "$(yams_dir)/Sources/CYaml/include" -Xcc -DYAML_DECLARE_STATIC -lYams -lCYaml)
    fi
    local exe=$OUT/fuzz-$h
    stale "$exe" "$FUZZ_DIR/harness/$h.swift" "${srcs[@]}" "$OUT"/lib/lib{MDS,JSON,FileSupport,PackedFormat,Parquet}.a \
        "$0" || return 0
    say "harness $h (${#srcs[@]} source files)"
    (cd "$OUT/lib" && swiftc "${SWIFT_FLAGS[@]}" -module-name MoeData "$FUZZ_DIR/harness/$h.swift" "${srcs[@]}" \
        -I "$OUT/lib" -L "$OUT/lib" -lPackedFormat -lMDS -lJSON -lFileSupport -lParquet "${yams_flags[@]}" \
        -I "$ROOT/Sources/CZstd" -I "$ROOT/Sources/CZlib" -lzstd -lz -o "$exe")
}

ALL=(json jsonl zstd gzip mds spm_model manifest mixture parquet)
HARNESSES=("${@:-${ALL[@]}}")
[[ $# -gt 0 ]] || HARNESSES=("${ALL[@]}")
build_libraries
for h in "${HARNESSES[@]}"; do build_harness "$h"; done
