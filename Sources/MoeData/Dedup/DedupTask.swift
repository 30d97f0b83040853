import Foundation

/// One task of a dedup stage split like ingest (`moe-data dedup --task I --tasks N`): the first pass
/// (texts, hashes, signatures, bucket keys) of the I-th of N equal ranges of each source's documents,
/// in canonical numbers. A plain `moe-data dedup` then joins the tasks' files in task order, which is
/// canonical order, into the files one process writes, byte for byte, and sorts and clusters them.
public struct DedupTask: Sendable, Equatable {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (0..<count).contains(index) else {
            throw MoeDataError("--task must be from 0 to \(count - 1) for --tasks \(count), not \(index)")
        }
        self.index = index
        self.count = count
    }

    var name: String { "task-\(index)-of-\(count)" }

    /// This task's canonical numbers of a source of `documents` documents.
    func range(documents: Int) -> Range<Int> {
        (documents * index / count)..<(documents * (index + 1) / count)
    }

    /// The tasks whose folders `work` holds (`task-I-of-N`), all of one N, or nil when there are none.
    static func split(in work: URL) throws -> Int? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? []
        let counts = Set(
            names.compactMap { name -> Int? in
                let parts = name.split(separator: "-")
                return parts.count == 4 && parts[0] == "task" && parts[2] == "of" ? Int(parts[3]) : nil
            })
        guard counts.count <= 1 else {
            throw MoeDataError(
                "\(work.path) holds tasks of splits into \(counts.sorted()) tasks; remove the ones not wanted")
        }
        return counts.first
    }
}
