import ArgumentParser
import Foundation
import MoeData

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an output folder against its catalog: shard hashes, index.json, moe-data.json, provenance.",
        discussion: """
            Re-hashes every shard in tokens/ and packed/ (xxh64, as the catalog records it), checks each index.json \
            against the catalog's shard list and moe-data.json's row count; --deep also decodes every packed row in \
            its layout (explicit or compact) and checks that its provenance names a document that exists in \
            tokens/. Names what is wrong and exits 1.

            --repair moves damaged shards, indexes and a damaged catalog to <output>/damaged/, so that the next \
            `moe-data ingest` or `build` with the same manifest regenerates them, byte-identical.

            Examples (check, repair, then regenerate what was moved aside):
              moe-data verify out/sample --deep
              moe-data verify out/sample --repair
              moe-data build manifests/sample.yaml --mixture openmoe-8b \\
                --total-tokens 2000000
            """
    )

    @Argument(help: "The output folder (the manifest's `output`).")
    var output: String

    @Flag(help: "Also decode every packed row and check its provenance against the documents in tokens/.")
    var deep = false

    @Flag(help: "Move what is damaged to <output>/damaged/ so the next ingest or build regenerates it.")
    var repair = false

    func run() throws {
        // Repair writes: it takes the output's lock like ingest and build.
        let lock = repair ? try OutputLock(outputDirectory: output) : nil
        defer { withExtendedLifetime(lock) {} }
        let verifier = OutputVerifier(output: output)
        let (problems, shards) = try verifier.run(deep: deep)
        if problems.isEmpty {
            print("\(output): \(shards) shards verified\(deep ? ", provenance checked" : ""); no problems")
            return
        }
        for p in problems { print("\(output)/\(p)") }
        if repair {
            let moved = try verifier.repair(problems)
            print("moved to \(output)/damaged/: \(moved.joined(separator: ", "))")
            print("run the same `moe-data ingest` or `build` again to regenerate them")
            return
        }
        throw MoeDataError(
            "\(output): \(problems.count) problem(s); `moe-data verify \(output) --repair` moves them aside")
    }
}
