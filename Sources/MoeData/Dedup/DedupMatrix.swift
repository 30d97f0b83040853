import JSON

/// The dedup stage's figures for `stats`: per source, documents = kept + removed, removals by kind,
/// and the source-by-source matrix of removals (rows: the source a document was removed from;
/// columns: the source of the copy that survived, or `eval` for contamination).
struct DedupMatrix {
    let rows: [Catalog.DedupRemovalRow]
    let sources: [String]
    let documents: [String: Int]

    var json: JSONValue {
        var perSource: [JSONValue] = []
        for source in sources {
            let mine = rows.filter { $0.source == source }
            let removed = mine.filter(\.removed)
            var fields: [String: JSONValue] = [
                "source": .string(source), "documents": .int(Int64(documents[source] ?? 0)),
                "removed": .int(Int64(removed.count)), "kept": .int(Int64((documents[source] ?? 0) - removed.count)),
                "removed_tokens": .int(Int64(removed.reduce(0) { $0 + $1.tokens })),
                "contamination_counted": .int(Int64(mine.filter { !$0.removed }.count)),
            ]
            for kind in DedupRemoval.Kind.allCases {
                fields[kind.rawValue] = .int(Int64(removed.filter { $0.kind == kind.rawValue }.count))
            }
            perSource.append(.object(fields))
        }
        let matrix = columns.flatMap { kept in
            sources.compactMap { source -> JSONValue? in
                let n = cell(source, kept)
                return n == 0
                    ? nil
                    : .object(["source": .string(source), "kept_source": .string(kept), "documents": .int(Int64(n))])
            }
        }
        return .object(["text": .string(text), "sources": .array(perSource), "matrix": .array(matrix)])
    }

    private var columns: [String] { sources + (rows.contains { $0.keptSource == "eval" } ? ["eval"] : []) }

    private func cell(_ source: String, _ kept: String) -> Int {
        rows.filter { $0.removed && $0.source == source && $0.keptSource == kept }.count
    }

    var text: String {
        var out = "Dedup (documents = kept + removed; removed by kind):\n"
        out += TextTable.render(
            header: ["source", "documents", "kept", "removed", "exact", "near", "contamination", "counted only"],
            rows: sources.map { source in
                let mine = rows.filter { $0.source == source }
                let removed = mine.filter(\.removed)
                let byKind = DedupRemoval.Kind.allCases.map { kind in removed.filter { $0.kind == kind.rawValue }.count
                }
                return [
                    source, "\(documents[source] ?? 0)", "\((documents[source] ?? 0) - removed.count)",
                    "\(removed.count)",
                ] + byKind.map(String.init) + ["\(mine.count - removed.count)"]
            })
        // Only the sources that lost documents, and those whose copies survived: the full square is in --json.
        let removedFrom = sources.filter { source in columns.contains { cell(source, $0) > 0 } }
        let keptIn = columns.filter { kept in removedFrom.contains { cell($0, kept) > 0 } }
        guard !removedFrom.isEmpty else { return out + "\nNo document was removed.\n" }
        out += "\nRemovals: rows the source a document was removed from, columns the source of its surviving copy\n"
        out += TextTable.render(
            header: ["removed from \\ kept in"] + keptIn,
            rows: removedFrom.map { source in [source] + keptIn.map { String(cell(source, $0)) } })
        return out
    }
}
