import JSON

/// Where a record sits in a source: the input file's index (in the source's sorted file list)
/// and the record's number within the file (JSONL line number, 1-based; 0 for whole-file
/// documents). The ingest cursor is one of these, so resume can restart inside a file.
public struct RecordPosition: Sendable, Comparable, Hashable {
    public var fileIndex: Int
    public var record: Int
    public init(fileIndex: Int, record: Int) {
        self.fileIndex = fileIndex
        self.record = record
    }
    public static func < (a: RecordPosition, b: RecordPosition) -> Bool {
        (a.fileIndex, a.record) < (b.fileIndex, b.record)
    }
}

/// One document as read, before tokenization.
public struct Document: Sendable {
    public var docId: String
    public var text: [UInt8]  // valid UTF-8
    public var meta: JSONValueBox
    public var position: RecordPosition
}

/// Sendable wrapper so `Document` stays a plain value type.
public typealias JSONValueBox = JSONValue

/// A record (or a whole file) that could not be read, and why.
public struct SkipRecord: Sendable, Equatable {
    public enum Kind: String, Sendable { case record, file }
    public var kind: Kind
    public var file: String
    public var line: Int?
    public var offset: Int?
    public var reason: String
    public var position: RecordPosition

    /// `file:line (byte offset N): reason`, the form every error and skip is reported in.
    public var location: String {
        var s = file
        if let line { s += ":\(line)" }
        if let offset { s += " (byte offset \(offset))" }
        return s
    }
}

/// What a reader yields: a document, or a counted skip.
public enum RecordEvent: Sendable {
    case document(Document)
    case skip(SkipRecord)
}
