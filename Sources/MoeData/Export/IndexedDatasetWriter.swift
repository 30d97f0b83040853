import Foundation

/// Writes one Megatron-LM indexed dataset, `<prefix>.bin` and `<prefix>.idx`, as megatron-core's
/// `IndexedDatasetBuilder` does (pipeline-anchors §2.4): `.bin` holds the sequences' tokens back to
/// back; `.idx` is `MMIDIDX\0\0`, version 1 (u64), the dtype code (u8), the sequence count S and the
/// document count D+1 (u64 each), then S int32 lengths, S int64 byte pointers into `.bin` and D+1
/// int64 document indices (document k = sequences [d[k], d[k+1])), all little-endian.
///
/// It streams: tokens go to `.bin` as they come, and the three arrays to spool files, which
/// `finish()` copies behind the header; memory holds one sequence whatever the dataset's size.
final class IndexedDatasetWriter {
    /// Megatron's `DType` codes of the two token types an export uses.
    enum TokenType: UInt8 {
        case int32 = 4
        case uint16 = 8

        /// uint16 when every id of a padded vocabulary of `paddedVocabSize` fits, else int32.
        init(paddedVocabSize: Int) {
            self = paddedVocabSize <= 1 << 16 ? .uint16 : .int32
        }

        var name: String { self == .uint16 ? "uint16" : "int32" }
        var byteWidth: Int { self == .uint16 ? 2 : 4 }
    }

    static let magic: [UInt8] = Array("MMIDIDX".utf8) + [0, 0]
    static let version: UInt64 = 1

    let prefix: URL
    let tokenType: TokenType
    private let bin: ExportFile
    private let lengths: ExportFile
    private let pointers: ExportFile
    private let documents: ExportFile
    private(set) var sequenceCount = 0
    private(set) var documentCount = 0
    private var pendingSequences = false
    private var binBytes: Int64 = 0

    static func binURL(_ prefix: URL) -> URL { prefix.appendingPathExtension("bin") }
    static func idxURL(_ prefix: URL) -> URL { prefix.appendingPathExtension("idx") }

    init(prefix: URL, tokenType: TokenType) throws {
        self.prefix = prefix
        self.tokenType = tokenType
        bin = try ExportFile(IndexedDatasetWriter.binURL(prefix), streamed: true)
        lengths = try ExportFile(prefix.appendingPathExtension("lengths"))
        pointers = try ExportFile(prefix.appendingPathExtension("pointers"))
        documents = try ExportFile(prefix.appendingPathExtension("documents"))
        try documents.write(littleEndian: Int64(0))
    }

    /// Appends one sequence: `tokens`, then `extra` (EOS, or nothing).
    func addSequence(_ tokens: ArraySlice<UInt32>, then extra: UInt32? = nil) throws {
        try tokens.map(\.littleEndian).withUnsafeBytes {
            try addSequence(LittleEndianArray(bytes: $0, width: 4), then: extra)
        }
    }

    /// Appends one sequence: `tokens` (uint32 where they lie in a shard), then `extra` (EOS, or nothing).
    func addSequence(_ tokens: LittleEndianArray, then extra: UInt32? = nil) throws {
        let count = tokens.count + (extra == nil ? 0 : 1)
        guard count <= Int(Int32.max) else {
            throw MoeDataError("\(prefix.path): a sequence of \(count) tokens does not fit Megatron's int32 lengths")
        }
        try bin.write(tokens: tokens, width: tokenType.byteWidth)
        switch (tokenType, extra) {
        case (.uint16, let extra?): try bin.write(littleEndian: UInt16(truncatingIfNeeded: extra))
        case (.int32, let extra?): try bin.write(littleEndian: Int32(bitPattern: extra))
        case (_, nil): break
        }
        try lengths.write(littleEndian: Int32(count))
        try pointers.write(littleEndian: binBytes)
        binBytes += Int64(count * tokenType.byteWidth)
        sequenceCount += 1
        pendingSequences = true
    }

    /// Closes the current document: the sequences added since the last call are one document.
    func endDocument() throws {
        guard pendingSequences else { return }
        try documents.write(littleEndian: Int64(sequenceCount))
        documentCount += 1
        pendingSequences = false
    }

    /// Writes `.idx` from the spools, then gives `.bin` and `.idx` their names (`.bin` first: a
    /// dataset whose `.idx` has its name is whole).
    func finish() throws {
        try endDocument()
        for spool in [lengths, pointers, documents] { try spool.flush() }
        let idx = try ExportFile(IndexedDatasetWriter.idxURL(prefix))
        do {
            try idx.write(IndexedDatasetWriter.magic)
            try idx.write(littleEndian: IndexedDatasetWriter.version)
            try idx.write([tokenType.rawValue])
            try idx.write(littleEndian: UInt64(sequenceCount))
            try idx.write(littleEndian: UInt64(documentCount + 1))
            for spool in [lengths, pointers, documents] { try idx.append(contentsOf: spool.temporary) }
            try bin.commit()
            try idx.commit()
        } catch {
            idx.discard()
            throw error
        }
        for spool in [lengths, pointers, documents] { spool.discard() }
    }

    /// Removes the temporary files of a dataset that will not be finished.
    func discard() {
        for file in [bin, lengths, pointers, documents] { file.discard() }
    }
}
