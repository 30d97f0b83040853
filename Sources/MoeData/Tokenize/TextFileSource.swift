import Foundation
import JSON

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
        var reader = try TextLines(path: path)
        var lineNumber = 0
        while let line = try reader.next() {
            lineNumber += 1
            switch format {
            case .text:
                // Each line is handed on as a document of its own: the sampler works on lines
                // anyway, and memory stays bounded for files of any size.
                try body(Substring(line))
            case .jsonl:
                if line.allSatisfy(\.isWhitespace) { continue }
                let value: JSONValue
                do {
                    value = try JSONValue.parse(Data(line.utf8))
                } catch {
                    throw MoeDataError("\(path):\(lineNumber): not valid JSON (\(error))")
                }
                guard case .object(let object) = value else {
                    throw MoeDataError("\(path):\(lineNumber): expected a JSON object per line")
                }
                guard let text = object[field] else {
                    throw MoeDataError("\(path):\(lineNumber): no field \"\(field)\" (use --field to name the text field)")
                }
                guard case .string(let string) = text else {
                    throw MoeDataError("\(path):\(lineNumber): field \"\(field)\" is not a string")
                }
                try body(Substring(string))
            }
        }
    }
}

