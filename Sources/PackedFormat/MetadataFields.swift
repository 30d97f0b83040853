import JSON

/// Typed reads of `moe-data.json`'s keys, each error naming the file and the key.
struct MetadataFields {
    let json: JSONValue
    let file: String
    /// Where `json` sits in the file ("phases[1]."), empty at the top.
    var path = ""

    typealias Key = PackedMetadata.Key

    func value(_ key: Key) -> JSONValue? { json[key.rawValue] }

    func problem(_ key: Key, _ what: String) -> PackedFormatError {
        PackedFormatError("\(file): key '\(path)\(key.rawValue)' missing or not \(what)")
    }

    func integer(_ key: Key) throws -> Int64 {
        guard let value = value(key)?.intValue else { throw problem(key, "an integer") }
        return value
    }

    /// A non-negative integer.
    func count(_ key: Key) throws -> Int {
        guard let value = value(key)?.intValue, value >= 0 else { throw problem(key, "a non-negative integer") }
        return Int(value)
    }

    func string(_ key: Key) throws -> String {
        guard let value = value(key)?.stringValue else { throw problem(key, "a string") }
        return value
    }

    /// The `layout` key (format_version 2), one of `PackedRowLayout`'s names.
    func layout() throws -> PackedRowLayout {
        let name = try string(.layout)
        guard let layout = PackedRowLayout(rawValue: name) else {
            throw PackedFormatError(
                "\(file): layout '\(name)' is not one this moe-data reads (\(PackedRowLayout.names)); "
                    + "a newer moe-data wrote it, or the file was edited: rebuild it with `moe-data build`")
        }
        return layout
    }

    /// `sentinel_source`: absent (sentinels appended after the pieces) or `from_model`.
    func sentinelsFromModel() throws -> Bool {
        guard value(.sentinelSource) != nil else { return false }
        guard try string(.sentinelSource) == PackedMetadata.sentinelsFromModelName else {
            throw problem(.sentinelSource, "'\(PackedMetadata.sentinelsFromModelName)'")
        }
        return true
    }

    func phases() throws -> [PackedMetadata.Phase] {
        guard let entries = value(.phases)?.arrayValue else { throw problem(.phases, "an array") }
        return try entries.enumerated().map { i, entry in
            let phase = MetadataFields(json: entry, file: file, path: "phases[\(i)].")
            return PackedMetadata.Phase(
                index: try phase.count(.index), name: try phase.string(.name),
                objective: try phase.string(.objective), seqLen: try phase.count(.seqLen),
                budget: try phase.count(.budget))
        }
    }
}
