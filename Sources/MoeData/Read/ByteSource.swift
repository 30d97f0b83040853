import CZlib
import Foundation
import MDS

/// A stream of bytes read in bounded chunks: a plain file, or a file decompressed on the fly.
/// `read` returns 0 at the end; errors name the file and the (compressed) offset.
protocol ByteSource {
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Bytes consumed from the underlying file so far (for progress).
    var compressedOffset: Int { get }
}

/// Reads a file with `read(2)` in large chunks.
struct FileByteSource: ByteSource {
    let path: String
    private let handle: FileHandleBox
    private(set) var compressedOffset = 0

    init(path: String) throws {
        self.path = path
        handle = try FileHandleBox(path: path)
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = Foundation.read(handle.fd, buffer.baseAddress, buffer.count)
        if n < 0 {
            throw MoeDataError("\(path): read failed at byte \(compressedOffset): \(String(cString: strerror(errno)))")
        }
        compressedOffset += n
        return n
    }
}

/// Owns a file descriptor and closes it when the last copy goes away.
final class FileHandleBox {
    let fd: Int32
    /// Opens without blocking (a FIFO without a writer would block `open` forever), then checks
    /// the opened file itself: the path may have been replaced since it was listed.
    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 { throw MoeDataError("\(path): cannot open: \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw MoeDataError("\(path): \(InputFiles.problem(path) ?? "not a regular file")")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        self.fd = fd
    }
    deinit { close(fd) }
}

/// Streaming zstd decompression (multi-frame) with MDS's `ZstdStreamDecoder`, constant memory
/// whatever the file size. The input is a whole file, or a run of whole frames of one (a piece of
/// an ingest partition, `FileRangeByteSource`).
///
/// A stream that ends inside a frame is an error. What zstd still holds when the input ends is
/// flushed before that is decided: the caller's buffer may have been too small to take it earlier.
struct ZstdByteSource: ByteSource {
    let path: String
    private var file: any ByteSource
    private let decoder: ZstdStreamDecoder
    private var input: [UInt8]
    private var inputPos = 0
    private var inputLen = 0
    private var eof = false

    init(path: String) throws {
        try self.init(path: path, input: FileByteSource(path: path))
    }

    init(path: String, input: any ByteSource) throws {
        self.path = path
        file = input
        do { decoder = try ZstdStreamDecoder() } catch { throw MoeDataError("\(path): cannot allocate a zstd context") }
        self.input = [UInt8](repeating: 0, count: ZstdStreamDecoder.recommendedInputSize)
    }

    var compressedOffset: Int { file.compressedOffset - (inputLen - inputPos) }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            if inputPos == inputLen && !eof {
                inputLen = try input.withUnsafeMutableBytes { try file.read(into: $0) }
                inputPos = 0
                if inputLen == 0 { eof = true }
            }
            let exhausted = eof && inputPos == inputLen
            // A complete stream ends on a frame boundary, with nothing left to flush.
            if exhausted && decoder.isAtFrameBoundary { return 0 }
            var position = inputPos
            let produced: Int
            do {
                produced = try input.withUnsafeBytes { src in
                    let filled = UnsafeRawBufferPointer(rebasing: src[0..<inputLen])
                    return try decoder.decode(filled, position: &position, into: buffer)
                }
            } catch let failure as ZstdStreamDecoder.Failure {
                inputPos = position
                throw MoeDataError(
                    "\(path): corrupt zstd data near compressed byte \(compressedOffset): \(failure.reason)")
            }
            inputPos = position
            if produced > 0 { return produced }
            if exhausted {
                throw MoeDataError(
                    "\(path): truncated zstd stream: the data ends inside a frame at compressed byte "
                        + "\(compressedOffset)")
            }
        }
    }
}

/// Streaming gzip decompression with zlib (concatenated members are read as one stream), of a
/// file or of any byte source (a Parquet page).
struct GzipByteSource: ByteSource {
    let path: String
    private var file: any ByteSource
    private let stream: ZlibStreamBox
    private var eof = false
    private var memberDone = false
    private var sawData = false

    init(path: String) throws {
        try self.init(path: path, input: FileByteSource(path: path))
    }

    init(path: String, input: any ByteSource) throws {
        self.path = path
        file = input
        stream = try ZlibStreamBox(path: path)
    }

    var compressedOffset: Int { file.compressedOffset - Int(stream.z.avail_in) }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if stream.z.avail_in == 0 && !eof {
                let n = try file.read(
                    into: UnsafeMutableRawBufferPointer(start: stream.input, count: ZlibStreamBox.inputSize))
                if n == 0 { eof = true } else { sawData = true }
                stream.z.next_in = stream.input
                stream.z.avail_in = uInt(n)
            }
            if memberDone {
                if stream.z.avail_in == 0 && eof { return 0 }
                // Another gzip member follows: reset and keep going.
                inflateReset(&stream.z)
                memberDone = false
            }
            if stream.z.avail_in == 0 && eof {
                if !sawData { return 0 }
                throw MoeDataError(
                    "\(path): truncated gzip stream: the file ends inside a member at compressed byte "
                        + "\(file.compressedOffset)"
                )
            }
            stream.z.next_out = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.z.avail_out = uInt(buffer.count)
            let r = inflate(&stream.z, Z_NO_FLUSH)
            let produced = buffer.count - Int(stream.z.avail_out)
            if r == Z_STREAM_END {
                memberDone = true
            } else if r == Z_BUF_ERROR && stream.z.avail_in == 0 {
                // Needs more input; the loop reads it (or reports truncation at EOF).
            } else if r != Z_OK {
                let msg = stream.z.msg.map { String(cString: $0) } ?? "zlib error \(r)"
                throw MoeDataError("\(path): corrupt gzip data near compressed byte \(compressedOffset): \(msg)")
            }
            if produced > 0 { return produced }
        }
    }
}

/// zlib's stream state and its input buffer, at stable addresses (zlib keeps pointers into both).
final class ZlibStreamBox {
    static let inputSize = 1 << 17
    var z = z_stream()
    let input = UnsafeMutablePointer<Bytef>.allocate(capacity: ZlibStreamBox.inputSize)

    init(path: String) throws {
        // windowBits 15 + 32: accept a gzip or zlib header, detected automatically.
        if inflateInit2_(&z, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) != Z_OK {
            input.deallocate()
            throw MoeDataError("\(path): cannot initialise zlib")
        }
    }

    deinit {
        inflateEnd(&z)
        input.deallocate()
    }
}

/// Picks the byte source for a file from its extension.
func openByteSource(path: String) throws -> any ByteSource {
    let lower = path.lowercased()
    if lower.hasSuffix(".zst") || lower.hasSuffix(".zstd") { return try ZstdByteSource(path: path) }
    if lower.hasSuffix(".gz") { return try GzipByteSource(path: path) }
    return try FileByteSource(path: path)
}
