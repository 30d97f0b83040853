import CZlib
import Foundation

/// A gzip file written as a stream (zlib's deflate, level 6, gzip header with no name and time
/// 0), so the same text gives the same bytes on every run. It writes dolma's `.csv.gz` metadata.
final class GzipFileWriter {
    private let file: ExportFile
    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 1 << 16)
    private var open = false

    init(_ url: URL) throws {
        file = try ExportFile(url)
        // windowBits 15 + 16: a gzip header and trailer around the deflate stream.
        guard
            deflateInit2_(
                &stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else {
            file.discard()
            throw MoeDataError("\(url.path): cannot initialise zlib's deflate")
        }
        open = true
    }

    deinit {
        if open { deflateEnd(&stream) }
    }

    var url: URL { file.url }

    /// Deflates `bytes` (left as they are: zlib only reads them).
    func write(_ bytes: inout [UInt8]) throws {
        try bytes.withUnsafeMutableBufferPointer { input in
            stream.next_in = input.baseAddress
            stream.avail_in = UInt32(input.count)
            try drain(flush: Z_NO_FLUSH)
        }
    }

    /// Ends the gzip stream and gives the file its name.
    func commit() throws {
        stream.next_in = nil
        stream.avail_in = 0
        try drain(flush: Z_FINISH)
        deflateEnd(&stream)
        open = false
        try file.commit()
    }

    func discard() {
        if open { deflateEnd(&stream) }
        open = false
        file.discard()
    }

    /// Deflates what is pending into the file; with `Z_FINISH`, until the stream's end is written.
    private func drain(flush: Int32) throws {
        while true {
            let (status, produced): (Int32, Int) = output.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                let status = deflate(&stream, flush)
                return (status, out.count - Int(stream.avail_out))
            }
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw MoeDataError("\(file.url.path): zlib's deflate failed (status \(status))")
            }
            try output.withUnsafeBytes { try file.write(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
            if flush == Z_FINISH ? status == Z_STREAM_END : stream.avail_in == 0 && produced < output.count {
                return
            }
        }
    }
}
