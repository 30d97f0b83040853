import Foundation

/// A training input read from a file, streamed in blocks: plain text (one document per
/// file, read line by line) or JSONL (one document per line, its text in `field`).
public struct TextFileSource: TrainingTextSource {
    public enum Format: String, Sendable, CaseIterable {
        case text, jsonl
    }

    public let path: String
    public let format: Format
    public let field: String
    public var name: String { path }

    public init(path: String, format: Format, field: String = "text") {
        self.path = path
        self.format = format
        self.field = field
    }

    /// `.jsonl` / `.json` files are JSONL, everything else plain text.
    public static func format(forPath path: String) -> Format {
        path.hasSuffix(".jsonl") || path.hasSuffix(".json") ? .jsonl : .text
    }

    public func forEachDocument(_ body: (Substring) throws -> Void) throws {
        switch format {
        case .text:
            var reader = try TextLines(path: path)
            while let line = try reader.next() {
                // Each line is handed on as a document of its own: the sampler works on lines
                // anyway, and memory stays bounded for files of any size.
                try body(Substring(line))
            }
        case .jsonl:
            // Ingest's reader, so both read JSONL alike; a record ingest would skip is an error here.
            var reader = try JSONLReader(path: path, textField: field, maxLineBytes: 1 << 30)
            while let event = try reader.next() {
                switch event {
                case .document(let document): try body(Substring(String(decoding: document.text, as: UTF8.self)))
                case .skip(let skip): throw MoeDataError("\(skip.location): \(skip.reason)")
                }
            }
        }
    }
}
