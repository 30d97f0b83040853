// swift-tools-version: 6.0
import PackageDescription

// Layout follows the pipeline: C libraries sit in tiny interop targets; `JSON` (canonical JSON
// value and strict parser) and `FileSupport` (atomic file writing, XXH64) are small pure-Swift
// helpers everyone uses; `MDS` is the on-disk shard format alone; `PackedFormat` is the packed-row
// format on top of it (columns, row, moe-data.json, row lookup, keyed randomness), shared by the
// pipeline and the trainer; `MoeData` holds the pipeline stages, one folder each; `MoeTrain` is the
// companion MoE trainer. The formats themselves are described in docs/formats.md.
let package = Package(
    name: "moe-data",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "moe-data", targets: ["moe-data"]),
        .library(name: "MoeData", targets: ["MoeData"]),
        // No `MoeTrain` library: its target needs the unsafe `-O` flag (below), and SwiftPM refuses
        // a product with unsafe flags to other packages. The trainer ships in the executable.
        .library(name: "MDS", targets: ["MDS", "JSON"]),
        .library(name: "PackedFormat", targets: ["PackedFormat"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "CSentencePiece",
            linkerSettings: [.linkedLibrary("sentencepiece"), .linkedLibrary("sentencepiece_train")]
        ),
        .target(name: "JSON"),
        .target(name: "FileSupport"),
        .target(name: "MDS", dependencies: ["JSON", "FileSupport", "CZstd"]),
        .target(name: "PackedFormat", dependencies: ["MDS", "JSON"]),
        // Parquet's file format alone, in pure Swift: the codecs come from its caller (MoeData's
        // wrappers of libsnappy, libzstd, zlib and liblz4), so it builds and fuzzes without C.
        .target(name: "Parquet"),
        .target(
            name: "MoeData",
            dependencies: [
                "MDS", "PackedFormat", "JSON", "FileSupport", "Parquet", "CZstd", "CZlib", "CSnappy", "CLZ4", "CSQLite",
                "CSentencePiece",
                .product(name: "Yams", package: "Yams"),
            ],
            // Embeds mixtures/*.yaml (see the plugin).
            plugins: ["EmbedBuildInfo"]
        ),
        .plugin(name: "EmbedBuildInfo", capability: .buildTool()),
        // The trainer's numerics are 15-40x slower unoptimised: its generic kernels are not
        // specialised at -Onone, and `@_optimize(speed)`, `@inlinable` or `@_specialize` change
        // nothing there (the -Onone pipeline runs no optimisation passes). Debug tests and debug
        // `moe-data train` would be unusable (MoeTrainTests: 20 s with -O, 320 s without), so the
        // target is always built with -O, and is therefore not offered as a library product.
        .target(
            name: "MoeTrain",
            dependencies: ["MDS", "PackedFormat", "JSON", "FileSupport"],
            swiftSettings: [.unsafeFlags(["-O"])]
        ),
        .executableTarget(
            name: "moe-data",
            dependencies: [
                "MoeData", "MoeTrain", "JSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Embeds the git commit and libsentencepiece's version for --version.
            plugins: ["EmbedBuildInfo"]
        ),
        // What every test target shares: the child-process runner, temp folders, the global-state lock.
        .target(name: "MoeTestSupport", path: "Tests/MoeTestSupport"),
        .testTarget(name: "MDSTests", dependencies: ["MDS", "JSON", "FileSupport", "MoeTestSupport"]),
        .testTarget(name: "PackedFormatTests", dependencies: ["PackedFormat", "MDS", "JSON"]),
        .testTarget(
            name: "MoeDataTests",
            dependencies: [
                "MoeData", "MDS", "PackedFormat", "JSON", "FileSupport", "Parquet", "CZstd", "MoeTestSupport",
            ]
        ),
        .testTarget(
            name: "MoeTrainTests", dependencies: ["MoeTrain", "MDS", "PackedFormat", "JSON", "MoeTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
