import CZstd
import Foundation

/// One frame of a `.zst` file, found without decompressing it.
public struct ZstdFrame: Sendable, Equatable {
    /// File offset of the frame's first byte (its magic number).
    public var offset: Int
    /// Bytes the frame takes in the file: header, blocks and checksum (a skippable frame: 8 + payload).
    public var compressedSize: Int
    /// Decompressed bytes when the frame header records them (Frame_Content_Size); 0 for a skippable frame.
    public var decompressedSize: Int?
    /// A skippable frame (magic 0x184D2A50…5F): metadata that decompresses to nothing.
    public var isSkippable: Bool

    public init(offset: Int, compressedSize: Int, decompressedSize: Int?, isSkippable: Bool) {
        self.offset = offset
        self.compressedSize = compressedSize
        self.decompressedSize = decompressedSize
        self.isSkippable = isSkippable
    }

    /// File offset just past the frame: the next frame's offset, or the file size.
    public var end: Int { offset + compressedSize }
}

/// The frames of a `.zst` file (RFC 8878), found by reading frame headers and the 3-byte header of
/// each block, never the compressed data: a file splits at frame starts, since each frame decodes
/// on its own. Memory stays bounded whatever the file size (one 18-byte header at a time, with
/// `pread`); the cost is one small read per block (at most 128 KiB of data each).
public enum ZstdFrames {
    /// Every frame of the file at `path`, in file order; none for an empty file. A file that is not
    /// a sequence of whole frames (garbage, a reserved block type, a block larger than its frame
    /// allows, the end of the file inside a frame) is an error naming the file and the byte offset.
    public static func scan(path: String) throws -> [ZstdFrame] {
        let file = try PositionalFile(path: path)
        var frames: [ZstdFrame] = []
        var offset = 0
        while offset < file.size {
            let frame = try readFrame(file, at: offset)
            frames.append(frame)
            offset = frame.end
        }
        return frames
    }

    /// The frame starting at `offset`.
    static func readFrame(_ file: PositionalFile, at offset: Int) throws -> ZstdFrame {
        let path = file.path
        var bytes = [UInt8](repeating: 0, count: Int(ZSTD_FRAMEHEADERSIZE_MAX))
        let n = try bytes.withUnsafeMutableBytes { try file.read(at: offset, into: $0) }
        var header = ZSTD_frameHeader()
        let r = bytes.withUnsafeBytes { ZSTD_getFrameHeader(&header, $0.baseAddress, n) }
        if ZSTD_isError(r) != 0 {
            throw MoeDataError("\(path): not a zstd frame at byte \(offset): \(String(cString: ZSTD_getErrorName(r)))")
        }
        if r > 0 {
            throw MoeDataError("\(path): truncated zstd file: the file ends at byte \(file.size), inside the header "
                + "of the frame at byte \(offset)")
        }
        if header.frameType == ZSTD_skippableFrame {
            // zstd leaves `headerSize` at 0 here: the header is the magic and a 4-byte payload size.
            let end = offset + Int(ZSTD_SKIPPABLEHEADERSIZE) + Int(header.frameContentSize)
            if end > file.size {
                throw MoeDataError("\(path): truncated zstd file: the skippable frame at byte \(offset) needs "
                    + "\(end - offset) bytes, the file ends at byte \(file.size)")
            }
            return ZstdFrame(offset: offset, compressedSize: end - offset, decompressedSize: 0, isSkippable: true)
        }
        var end = try endOfBlocks(file, frame: offset, first: offset + Int(header.headerSize),
                                  blockSizeMax: Int(header.blockSizeMax))
        if header.checksumFlag != 0 {
            end += 4
            if end > file.size {
                throw MoeDataError("\(path): truncated zstd file: the file ends at byte \(file.size), inside the "
                    + "checksum of the frame at byte \(offset)")
            }
        }
        let known = header.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN && header.frameContentSize <= UInt64(Int.max)
        return ZstdFrame(offset: offset, compressedSize: end - offset,
                         decompressedSize: known ? Int(header.frameContentSize) : nil, isSkippable: false)
    }

    /// Walks the blocks of the frame at `frame` from its first block header; returns the offset
    /// just past its last block. A block header is 3 bytes, little-endian: bit 0 says last block,
    /// bits 1-2 the type (raw, RLE, compressed, reserved), bits 3-23 the size. A raw or compressed
    /// block's size is its bytes in the file; an RLE block is 1 byte in the file whatever its size.
    static func endOfBlocks(_ file: PositionalFile, frame: Int, first: Int, blockSizeMax: Int) throws -> Int {
        let path = file.path
        var position = first
        var raw = [UInt8](repeating: 0, count: 3)
        while true {
            let n = try raw.withUnsafeMutableBytes { try file.read(at: position, into: $0) }
            if n < 3 {
                throw MoeDataError("\(path): truncated zstd file: the file ends at byte \(file.size), inside a "
                    + "block header of the frame at byte \(frame)")
            }
            let word = Int(raw[0]) | Int(raw[1]) << 8 | Int(raw[2]) << 16
            let isLast = word & 1 == 1
            let type = (word >> 1) & 3
            let size = word >> 3
            if type == 3 {
                throw MoeDataError("\(path): corrupt zstd data: reserved block type at byte \(position) "
                    + "(frame at byte \(frame))")
            }
            if size > blockSizeMax {
                throw MoeDataError("\(path): corrupt zstd data: a block of \(size) bytes at byte \(position) exceeds "
                    + "its frame's maximum block size of \(blockSizeMax) bytes (frame at byte \(frame))")
            }
            position += 3 + (type == 1 ? 1 : size)
            if position > file.size {
                throw MoeDataError("\(path): truncated zstd file: the file ends at byte \(file.size), inside the "
                    + "block at byte \(position - (type == 1 ? 1 : size) - 3) (frame at byte \(frame))")
            }
            if isLast { return position }
        }
    }
}
