import Parquet

/// The columns a source reads from a Parquet file, found in its schema: the text column (a
/// top-level BYTE_ARRAY), the kept columns the file has, and the id column if any.
struct ParquetColumns {
    let text: Int
    let textName: String
    let keep: [(name: String, leaf: Int)]
    let id: Int?

    init(_ schema: ParquetSchema, source: SourceSpec) throws {
        text = try schema.flatColumn(named: source.textField)
        textName = source.textField
        let textLeaf = schema.leaves[text]
        guard textLeaf.physicalType == .byteArray else {
            throw ParquetError("text column '\(source.textField)' is \(textLeaf.physicalType), not BYTE_ARRAY "
                + "(a string column)")
        }
        var keep: [(String, Int)] = []
        for name in source.keep where schema.topLevel.contains(where: { $0.name == name }) {
            keep.append((name, try schema.flatColumn(named: name)))
        }
        self.keep = keep
        if let idField = source.idField, schema.topLevel.contains(where: { $0.name == idField }) {
            id = try schema.flatColumn(named: idField)
        } else {
            id = nil
        }
    }

    /// Every leaf read, each once.
    var leaves: [Int] { Array(Set([text] + keep.map(\.leaf) + (id.map { [$0] } ?? []))).sorted() }
}
