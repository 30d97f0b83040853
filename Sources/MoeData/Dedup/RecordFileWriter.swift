import Foundation

/// Appends bytes to a file through a buffer of `bufferBytes`: the dedup stage's signatures, ids and
/// records go to disk as they are made, so memory does not grow with the corpus.
final class RecordFileWriter {
    let url: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let bufferBytes: Int
    /// Bytes written so far, buffered ones included.
    private(set) var count = 0

    /// Creates (or truncates) the file.
    init(url: URL, bufferBytes: Int = 1 << 20) throws {
        self.url = url
        self.bufferBytes = bufferBytes
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw MoeDataError("\(url.path): cannot create the file")
        }
        handle = try FileHandle(forWritingTo: url)
        buffer.reserveCapacity(bufferBytes)
    }

    func append<C: Collection>(_ bytes: C) throws where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        count += bytes.count
        if buffer.count >= bufferBytes { try flush() }
    }

    /// Appends `value` as 8 big-endian bytes (records sort by their bytes).
    func append(bigEndian value: UInt64) throws {
        try append(withUnsafeBytes(of: value.bigEndian) { Array($0) })
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        do { try handle.write(contentsOf: buffer) } catch {
            throw MoeDataError("\(url.path): cannot write: \(error.localizedDescription)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs to disk and closes the file.
    func close() throws {
        try flush()
        do {
            try handle.synchronize()
            try handle.close()
        } catch { throw MoeDataError("\(url.path): cannot write: \(error.localizedDescription)") }
    }
}
