import Foundation
import Testing

/// OpenBLAS is opened by the trainer when it first needs it, not loaded with the binary: loaded,
/// its constructor started a thread per core that spun for 0.1 s in every `build` and `ingest`.
@Suite struct OpenBLASLoadingTests {
    /// The libraries the dynamic loader maps while `args` runs, as glibc's LD_DEBUG=files lists them
    /// (those linked and those opened with dlopen).
    static func librariesLoaded(_ args: [String]) throws -> String {
        try CLIHelpTests.run(args, env: ["LD_DEBUG": "files"]).stderr
    }

    @Test func commandsThatDoNotTrainNeverLoadOpenBLAS() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blas-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A command that parses its arguments, runs, and fails on a folder that is not an output.
        let loaded = try Self.librariesLoaded(["stats", dir.path])
        #expect(loaded.contains("libsqlite3"), "LD_DEBUG listed no library: \(loaded.prefix(2000))")
        #expect(!loaded.contains("openblas"), "moe-data stats loaded OpenBLAS")
    }

    @Test func versionOpensOpenBLASOnDemand() throws {
        // The check above would pass if LD_DEBUG never named OpenBLAS: --version opens it to name it.
        #expect(try Self.librariesLoaded(["--version"]).contains("openblas"))
    }
}
