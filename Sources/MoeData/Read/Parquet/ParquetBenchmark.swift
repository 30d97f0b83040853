import Foundation

/// `moe-data bench parquet`: the Parquet record reader alone on files, as ingest runs it (text
/// column decoded, copied and checked as UTF-8, kept columns into `meta`), without tokenizing.
/// Also the fuzz test's probe: every file gets a result or the error that ended it.
public enum ParquetBenchmark {
    public struct FileResult: Sendable {
        public var path: String
        public var documents = 0
        public var skipped = 0
        public var textBytes = 0
        /// The fault that ended the file, if any.
        public var error: String?
    }

    public static func read(path: String, textField: String, keep: [String]) -> FileResult {
        var result = FileResult(path: path)
        let source = SourceSpec(
            name: "bench", format: .parquet, paths: [path], textField: textField, domain: "bench", language: nil,
            keep: keep, extensions: [:], idField: nil)
        let file = InputFile(path: path, relativePath: (path as NSString).lastPathComponent, size: 0, mtime: 0)
        do {
            var reader = try ParquetRecordReader(file: file, fileIndex: 0, source: source, maxDocumentBytes: 256 << 20)
            while let event = try reader.next() {
                switch event {
                case .document(let d):
                    result.documents += 1
                    result.textBytes += d.text.count
                case .skip: result.skipped += 1
                }
            }
        } catch {
            result.error = "\(error)"
        }
        return result
    }

    /// The process's peak resident memory so far, in bytes: Linux's VmHWM of this program's own
    /// memory. (`getrusage`'s ru_maxrss is carried across `exec`: a child of a large test process
    /// would report its parent's size.)
    public static var peakResidentBytes: Int {
        // Read to the end: /proc files say they are empty.
        let data = FileHandle(forReadingAtPath: "/proc/self/status")?.readDataToEndOfFile() ?? Data()
        let status = String(decoding: data, as: UTF8.self)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        let words = line.split { $0 == " " || $0 == "\t" }
        if let kilobytes = words.dropFirst().first.flatMap({ Int($0) }) { return kilobytes * 1024 }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
