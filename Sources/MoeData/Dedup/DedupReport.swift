import Foundation
import JSON

/// What `moe-data dedup` (and `build`) report of the stage: the figures `stats` shows.
public struct DedupReport: Sendable {
    public let upToDate: Bool
    public let text: String
    /// Documents removed per source.
    public let removed: [String: Int]

    init(catalog: Catalog, manifest: Manifest, upToDate: Bool) throws {
        self.upToDate = upToDate
        let stats = try catalog.value("stats.dedup").flatMap { try? JSONValue.parse(Data($0.utf8)) }
        text = stats?["text"]?.stringValue ?? ""
        var removed: [String: Int] = [:]
        if case .array(let sources)? = stats?["sources"] {
            for source in sources {
                if let name = source["source"]?.stringValue { removed[name] = Int(source["removed"]?.intValue ?? 0) }
            }
        }
        self.removed = removed
    }
}
