import Foundation
import MDS

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
        let reader = try LineReader(path: path)
        var lineNumber = 0
        while let line = try reader.nextLine() {
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

/// Reads a file line by line in 1 MiB blocks; lines are decoded as UTF-8 (invalid bytes
/// become U+FFFD) without their "\n" (a "\r" stays, as with spm_encode).
public final class LineReader {
    private let handle: FileHandle
    private let path: String
    private let closeAtEnd: Bool
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    public init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let why = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw MoeDataError("input \(path) \(why)")
        }
        self.handle = handle
        self.path = path
        closeAtEnd = true
    }

    /// Reads from an open handle (e.g. standard input) that the caller keeps open.
    public init(handle: FileHandle, name: String) {
        self.handle = handle
        path = name
        closeAtEnd = false
    }

    deinit { if closeAtEnd { try? handle.close() } }

    public func nextLine() throws -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                start = newline + 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = String(decoding: buffer[start...], as: UTF8.self)
                start = buffer.count
                return line
            }
            buffer.removeFirst(start)
            start = 0
            let block: Data
            do {
                block = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw MoeDataError("\(path): read failed (\(error.localizedDescription))")
            }
            if block.isEmpty { atEnd = true } else { buffer.append(contentsOf: block) }
        }
    }
}
