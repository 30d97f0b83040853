/// Random access to a file's bytes (`pread`): the reader never depends on a file position.
public protocol ParquetInput {
    var size: Int { get }
    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}
