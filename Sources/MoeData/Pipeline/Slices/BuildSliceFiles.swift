import Foundation

/// The files of a sliced build, in `<output>/slices/`: per slice, its rows
/// (`slice-NNNNN/`, MDS shards without an index), its catalog (`slice-NNNNN.sqlite`: the build
/// state, each shard committed with the checkpoint that resumes after it, and `slice.index` and
/// `slice.count`) and its lock. `moe-data build` merges them into `packed/` and removes the folder.
public struct BuildSliceFiles: Sendable {
    public static let directoryName = "slices"
    public let outputDirectory: String

    public init(outputDirectory: String) {
        self.outputDirectory = outputDirectory
    }

    public var directory: URL {
        URL(fileURLWithPath: outputDirectory).appendingPathComponent(Self.directoryName)
    }

    public static func name(_ index: Int) -> String { "slice-" + String(format: "%05d", index) }

    public func rowsDirectory(_ index: Int) -> URL { directory.appendingPathComponent(Self.name(index)) }
    public func catalogPath(_ index: Int) -> String { path(index, ".sqlite") }
    public func lockPath(_ index: Int) -> String { path(index, ".lock") }

    private func path(_ index: Int, _ suffix: String) -> String {
        directory.appendingPathComponent(Self.name(index) + suffix).path
    }

    /// Whether any slice has left a catalog here.
    public var present: Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.contains { $0.hasPrefix("slice-") && $0.hasSuffix(".sqlite") }
    }

    /// The slice numbers whose catalogs are here, in order.
    func catalogIndices() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("slice-"), name.hasSuffix(".sqlite") else { return nil }
            return Int(name.dropFirst("slice-".count).dropLast(".sqlite".count))
        }.sorted()
    }

    func remove() throws {
        guard FileManager.default.fileExists(atPath: directory.path) else { return }
        do { try FileManager.default.removeItem(at: directory) } catch {
            throw MoeDataError("\(directory.path): cannot remove (\(error.localizedDescription))")
        }
    }
}
