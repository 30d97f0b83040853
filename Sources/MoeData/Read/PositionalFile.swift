import Foundation

/// A regular file read at explicit offsets with `pread(2)`: several readers (a frame walk, the
/// pieces of a partition) can share one descriptor, and nothing depends on a file position.
struct PositionalFile {
    let path: String
    private let handle: FileHandleBox
    /// The size when opened; a file that grows or shrinks afterwards is read as it is.
    let size: Int

    init(path: String) throws {
        self.path = path
        handle = try FileHandleBox(path: path)
        var st = stat()
        guard fstat(handle.fd, &st) == 0 else {
            throw MoeDataError("\(path): cannot read its size: \(String(cString: strerror(errno)))")
        }
        size = Int(st.st_size)
    }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(handle.fd, buffer.baseAddress.map { $0 + done }, buffer.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                throw MoeDataError("\(path): read failed at byte \(offset + done): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }
}

/// The bytes `range` of a file as a stream (a range past the end stops at the end).
/// `compressedOffset` is the position in the file, so errors and progress name file offsets.
struct FileRangeByteSource: ByteSource {
    let file: PositionalFile
    private(set) var position: Int
    let end: Int

    init(file: PositionalFile, range: Range<Int>) {
        self.file = file
        position = range.lowerBound
        end = range.upperBound
    }

    var compressedOffset: Int { position }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let wanted = min(buffer.count, end - position)
        guard wanted > 0 else { return 0 }
        let n = try file.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]))
        position += n
        return n
    }
}
