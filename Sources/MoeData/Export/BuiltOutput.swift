import FileSupport
import Foundation
import JSON
import MDS
import PackedFormat

/// What an export reads from the output folder of a finished `moe-data build`: the packed rows and
/// their `moe-data.json`, the catalog's plan (each phase's target tokens per source) and the
/// sources' token shards. Opening it checks that the build is finished, so every export starts
/// from a whole output or says why it cannot.
struct BuiltOutput {
    let directory: URL
    let metadata: PackedMetadata
    let packed: MDSDataset
    /// The whole-phase rows of the mixture's accounting, phase by phase.
    let phaseTargets: [Catalog.MixtureRow]
    /// The mixture's sources, in the plan's order.
    let sources: [String]
    /// Names the exact build: an export made from another build (or after a rebuild) is not resumed.
    let fingerprint: String
    /// Rows of each phase (by index) as the build's statistics recorded them; empty when they are
    /// missing, and the phases' rows are then found by reading from the first row.
    let phaseRows: [Int: Int]

    init(_ path: String) throws {
        directory = URL(fileURLWithPath: path).standardizedFileURL
        let packedURL = directory.appendingPathComponent(PackedLayout.directoryName)
        let metadataURL = packedURL.appendingPathComponent(PackedLayout.metadataFile)
        let catalogPath = directory.appendingPathComponent(Catalog.fileName).path
        guard FileManager.default.fileExists(atPath: metadataURL.path),
            FileManager.default.fileExists(atPath: catalogPath)
        else {
            throw MoeDataError(
                "\(path): not the output of a finished `moe-data build` (no packed/\(PackedLayout.metadataFile) "
                    + "or \(Catalog.fileName)); run `moe-data build <manifest> --mixture <mixture> --output \(path)` "
                    + "first")
        }
        let catalog = try Catalog(path: catalogPath, readOnly: true)
        guard try catalog.value("build.status") == "done" else {
            throw MoeDataError(
                "\(path): its last build did not finish (the catalog's build status is not done); run the same "
                    + "`moe-data build` again to finish it, then export")
        }
        do { metadata = try PackedMetadata.read(metadataURL) } catch { throw MoeDataError("\(error)") }
        packed = try MDSDataset(directory: packedURL)
        phaseTargets = try catalog.phaseTargets()
        let statistics = try catalog.value("stats.mixture").flatMap { try? JSONValue.parse(Data($0.utf8)) }
        var rows: [Int: Int] = [:]
        for phase in statistics?["phases"]?.arrayValue ?? [] {
            if let index = phase["index"]?.intValue, let count = phase["rows"]?.intValue {
                rows[Int(index)] = Int(count)
            }
        }
        phaseRows = rows
        var seen = Set<String>()
        sources = phaseTargets.map(\.source).filter { seen.insert($0).inserted }
        var hash: [UInt8] = []
        for file in ["packed/index.json", "packed/\(PackedLayout.metadataFile)", "tokens/index.json"] {
            let bytes = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path)
            hash += Array(XXH64.hex(XXH64.hash([UInt8](bytes ?? Data()))).utf8)
        }
        fingerprint = XXH64.hex(XXH64.hash(hash))
    }

    /// The phase named `name`, or one sentence listing the phases there are.
    func phase(named name: String) throws -> PackedMetadata.Phase {
        if let phase = metadata.phases.first(where: { $0.name == name }) { return phase }
        let names = metadata.phases.map { "\($0.name) (\($0.objective))" }.joined(separator: ", ")
        throw MoeDataError("\(directory.path) has no phase '\(name)'; its phases: \(names)")
    }

    /// The phases whose rows are causal LM: the ones Megatron's and OLMo's causal training can read.
    var causalPhases: [PackedMetadata.Phase] { metadata.phases.filter { $0.objective == "causal" } }

    /// The first row of `phase` (phases follow each other in row order), or 0 when the rows per
    /// phase are not known: the shards before it need not be read.
    func firstRow(of phase: Int) -> Int {
        guard (0..<phase).allSatisfy({ phaseRows[$0] != nil }) else { return 0 }
        return (0..<phase).reduce(0) { $0 + (phaseRows[$1] ?? 0) }
    }

    /// `tokens/<source>/`, the source's MDS token shards.
    func tokensDirectory(_ source: String) -> URL {
        directory.appendingPathComponent("tokens").appendingPathComponent(source)
    }

    /// The plan's target source tokens of `phase`, per source, in the plan's order.
    func targets(of phase: PackedMetadata.Phase) -> [(source: String, tokens: Int)] {
        phaseTargets.filter { $0.phase == phase.index }.map { ($0.source, $0.targetTokens) }
    }
}
