import Foundation

/// The token count of every document of a token shard, kept in the catalog beside the shard
/// (`shards.document_lengths`), so that a build slice can simulate the mixer, the objectives
/// and the packer over a whole corpus from lengths alone, without decompressing a token shard.
enum DocumentLengths {
    /// Base64 of the counts as little-endian uint32: 4 bytes a document, about 120 KB for a shard
    /// of 64 MiB of tokens, written with the shard in the same transaction.
    static func encode(_ lengths: [UInt32]) -> String {
        var data = Data(capacity: lengths.count * 4)
        for n in lengths { withUnsafeBytes(of: n.littleEndian) { data.append(contentsOf: $0) } }
        return data.base64EncodedString()
    }

    static func decode(_ text: String) -> [UInt32]? {
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map {
                UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))
            }
        }
    }
}

extension Catalog {
    /// Catalogs made before the lengths were kept get the column, empty: their shards are read
    /// for the lengths instead (`SourceDocuments`).
    func addDocumentLengthsColumn() throws {
        let columns = try db.query("PRAGMA table_info(shards)").compactMap { $0[1]?.text }
        if !columns.contains("document_lengths") {
            try db.execute("ALTER TABLE shards ADD COLUMN document_lengths TEXT")
        }
    }

    /// The document lengths of each shard of `tokens/<source>`, in shard order; nil for a shard
    /// whose lengths the catalog does not hold (or holds damaged).
    public func documentLengths(source: String) throws -> [[UInt32]?] {
        // A catalog opened read-only is not given the column.
        guard try db.query("PRAGMA table_info(shards)").contains(where: { $0[1]?.text == "document_lengths" }) else {
            return []
        }
        return try db.query(
            "SELECT document_lengths FROM shards WHERE dataset = ? ORDER BY shard_index", [.text("tokens/" + source)]
        ).map { row in
            guard let text = row[0]?.text else { return nil }
            return DocumentLengths.decode(text)
        }
    }
}
