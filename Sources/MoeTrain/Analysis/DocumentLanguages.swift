import Foundation
import JSON
import MDS

/// The natural (or programming) language of each analysed segment, for the per-language expert shares
/// (OpenMoE §4.1: some experts specialize in languages).
///
/// A segment's documents are named by its provenance (`[doc_id, first token, count]`). Each document's
/// language is, in this order: its metadata's `language` or `lang` field, or the same inside a kept
/// `meta` object (a JSONL `{"meta": {"language": ...}}` with `keep: [meta]`; code files get `lang` from
/// their extension); else its source's `language` in the manifest. A segment takes the language of the
/// documents that gave it the most tokens.
public enum DocumentLanguages {
    /// How the analysed segments got their languages.
    public struct Summary: Sendable, Equatable {
        public var fromMetadata = 0
        public var fromSource = 0
        public var unknown = 0
    }

    /// The language a document's metadata names, or nil.
    public static func language(meta: JSONValue) -> String? {
        guard let object = meta.objectValue else { return nil }
        for key in ["language", "lang"] {
            if let name = object[key]?.stringValue, !name.isEmpty { return name }
        }
        if let nested = object["meta"] { return language(meta: nested) }
        return nil
    }

    /// Fills in `segmentLanguages` of `rows`. `tokensDirectory` is the build's `tokens/` dataset (nil or
    /// missing: metadata is not read); of the shards in a folder named after one of `sources`, only those
    /// of the sources the rows use are read.
    public static func assign(
        _ rows: inout [AnalysisRow], tokensDirectory: URL?, sources: Set<String>, sourceLanguages: [String: String]
    ) throws -> Summary {
        var wanted: [String: Set<String>] = [:]
        for r in rows {
            for s in r.row.segments { for p in s.pieces { wanted[s.source, default: []].insert(p.docId) } }
        }
        let documentLanguage = try readMetadataLanguages(
            tokensDirectory: tokensDirectory, wanted: wanted, sources: sources)
        var summary = Summary()
        for i in rows.indices {
            for s in rows[i].row.segments {
                var tokens: [String: Int] = [:]
                for p in s.pieces {
                    if let name = documentLanguage[s.source]?[p.docId] { tokens[name, default: 0] += max(1, p.count) }
                }
                if let best = tokens.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }) {
                    rows[i].segmentLanguages[s.segment] = best.key
                    summary.fromMetadata += 1
                } else if let name = sourceLanguages[s.source], !name.isEmpty {
                    rows[i].segmentLanguages[s.segment] = name
                    summary.fromSource += 1
                } else {
                    summary.unknown += 1
                }
            }
        }
        return summary
    }

    /// Per source, the documents of `wanted` whose metadata names a language. Shards are stored under a
    /// folder per source (`<source>/shard.N.mds.zstd`), so those of other sources are skipped unread.
    static func readMetadataLanguages(
        tokensDirectory: URL?, wanted: [String: Set<String>], sources: Set<String>
    ) throws -> [String: [String: String]] {
        guard let tokensDirectory,
            FileManager.default.fileExists(atPath: tokensDirectory.appendingPathComponent("index.json").path)
        else { return [:] }
        let dataset = try MDSDataset(directory: tokensDirectory)
        var out: [String: [String: String]] = [:]
        for (i, entry) in dataset.index.shards.enumerated() {
            let folder = String(entry.rawBasename.split(separator: "/").first ?? "")
            if sources.contains(folder) && wanted[folder] == nil && folder != entry.rawBasename { continue }
            let shard = try dataset.shard(i)
            for j in 0..<shard.count {
                let sample = try shard.sampleByName(j)
                guard case .string(let source)? = sample["source"], case .string(let docId)? = sample["doc_id"],
                    wanted[source]?.contains(docId) == true, case .json(let meta)? = sample["meta"],
                    let name = language(meta: meta)
                else { continue }
                out[source, default: [:]][docId] = name
            }
        }
        return out
    }
}
