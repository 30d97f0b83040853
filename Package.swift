// swift-tools-version: 6.0
import PackageDescription

// Layout follows the pipeline: C libraries sit in tiny interop targets; `MDS` is the
// on-disk shard format alone; `PackedFormat` is the packed-row format on top of it (columns,
// row, moe-data.json, row lookup, keyed randomness), shared by the pipeline and the trainer;
// `MoeData` holds the pipeline stages, one folder each; `MoeTrain` is the companion MoE trainer.
let package = Package(
    name: "moe-data",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "moe-data", targets: ["moe-data"]),
        .library(name: "MoeData", targets: ["MoeData"]),
        .library(name: "MoeTrain", targets: ["MoeTrain"]),
        .library(name: "MDS", targets: ["MDS"]),
        .library(name: "PackedFormat", targets: ["PackedFormat"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(
            name: "CSentencePiece",
            cxxSettings: [.unsafeFlags(["-std=c++17"])],
            linkerSettings: [.linkedLibrary("sentencepiece"), .linkedLibrary("sentencepiece_train")]
        ),
        .target(name: "MDS", dependencies: ["CZstd"]),
        .target(name: "PackedFormat", dependencies: ["MDS"]),
        .target(
            name: "MoeData",
            dependencies: [
                "MDS", "PackedFormat", "CZstd", "CZlib", "CSQLite", "CSentencePiece",
                .product(name: "Yams", package: "Yams"),
            ],
            // Embeds mixtures/*.yaml (see the plugin).
            plugins: ["EmbedBuildInfo"]
        ),
        .plugin(name: "EmbedBuildInfo", capability: .buildTool()),
        // The trainer's numerics are ~100× slower unoptimised (generic SIMD code is not specialised
        // at -Onone), which would make its tests and debug runs unusable; so it is always built with -O.
        .target(
            name: "MoeTrain", dependencies: ["MDS", "PackedFormat", "COpenBLAS"], swiftSettings: [.unsafeFlags(["-O"])]
        ),
        .executableTarget(
            name: "moe-data",
            dependencies: [
                "MoeData", "MoeTrain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Embeds the git commit and libsentencepiece's version for --version.
            plugins: ["EmbedBuildInfo"]
        ),
        // What every test target shares: the child-process runner, temp folders, the global-state lock.
        .target(name: "MoeTestSupport", path: "Tests/MoeTestSupport"),
        .testTarget(name: "MDSTests", dependencies: ["MDS", "MoeTestSupport"]),
        .testTarget(name: "PackedFormatTests", dependencies: ["PackedFormat", "MDS"]),
        .testTarget(name: "MoeDataTests", dependencies: ["MoeData", "MDS", "PackedFormat", "MoeTestSupport"]),
        .testTarget(name: "MoeTrainTests", dependencies: ["MoeTrain", "MDS", "PackedFormat", "MoeTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
