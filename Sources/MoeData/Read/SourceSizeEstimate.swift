import CZstd
import Foundation

/// `plan` before ingest: how many tokens a source will give, from the inputs' uncompressed sizes
/// and a bytes-per-token figure measured on the source itself. Compressed bytes / 4 was off by
/// 4x on a JSONL.zst corpus; zstd and gzip record the uncompressed size, or a decompressed head
/// gives the ratio.
public struct SourceSizeEstimate: Sendable {
    /// Uncompressed bytes of every input file (exact where the format records it).
    public var uncompressedBytes: Int
    /// Input bytes per token: measured on the head of the source with the model, or 4 assumed.
    public var bytesPerToken: Double
    /// True when `bytesPerToken` was measured (a tokenizer model exists).
    public var measured: Bool
    public var tokens: Int { bytesPerToken > 0 ? Int((Double(uncompressedBytes) / bytesPerToken).rounded()) : 0 }

    public static let assumedBytesPerToken = 4.0
    /// How much of the source is tokenized to measure bytes per token.
    static let sampleBytes = 1 << 20

    public static func estimate(
        _ source: SourceSpec, tokenizer: Tokenizer?,
        maxDocumentBytes: Int
    ) -> SourceSizeEstimate {
        let files = InputFiles.list(source).files
        let bytes = files.reduce(0) {
            $0 + (source.format == .parquet
                ? ParquetLayout.uncompressedBytes(path: $1.path, size: $1.size, source: source)
                : uncompressedSize(path: $1.path, size: $1.size))
        }
        guard let tokenizer,
            let perToken = measureBytesPerToken(
                source, files: files, tokenizer: tokenizer,
                maxDocumentBytes: maxDocumentBytes)
        else {
            return SourceSizeEstimate(uncompressedBytes: bytes, bytesPerToken: assumedBytesPerToken, measured: false)
        }
        return SourceSizeEstimate(uncompressedBytes: bytes, bytesPerToken: perToken, measured: true)
    }

    /// Input bytes (uncompressed, JSON syntax and skipped records included, as the size counts them)
    /// per token, over the first ~1 MiB of documents.
    static func measureBytesPerToken(
        _ source: SourceSpec, files: [InputFile], tokenizer: Tokenizer,
        maxDocumentBytes: Int
    ) -> Double? {
        var inputBytes = 0, tokens = 0, textBytes = 0
        for (i, file) in files.enumerated() where textBytes < sampleBytes {
            guard
                var reader = try? makeRecordReader(
                    file: file, fileIndex: i, source: source,
                    maxDocumentBytes: maxDocumentBytes)
            else { continue }
            while textBytes < sampleBytes, let event = try? reader.next() {
                guard case .document(let d) = event else { continue }
                let n = (try? d.text.withUnsafeBytes { try tokenizer.encode(utf8: $0).count }) ?? 0
                tokens += n
                textBytes += d.text.count
            }
            inputBytes += reader.bytesRead
        }
        guard tokens > 0, inputBytes > 0 else { return nil }
        return Double(inputBytes) / Double(tokens)
    }

    /// The uncompressed size of a file: a zstd frame's content size when the file is one frame
    /// that records it, a gzip file's ISIZE when it agrees with the head's ratio (ISIZE is the
    /// size mod 2^32 of the last member only), else the compression ratio of the first
    /// megabytes applied to the whole file. Plain files: their size.
    public static func uncompressedSize(path: String, size: Int) -> Int {
        let lower = path.lowercased()
        let isZstd = lower.hasSuffix(".zst") || lower.hasSuffix(".zstd")
        let isGzip = lower.hasSuffix(".gz")
        guard isZstd || isGzip, size > 0, let handle = FileHandle(forReadingAtPath: path) else { return size }
        defer { try? handle.close() }
        if isZstd, let head = try? handle.read(upToCount: 1 << 17), !head.isEmpty {
            let content = head.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
            let frame = head.withUnsafeBytes { ZSTD_findFrameCompressedSize($0.baseAddress, $0.count) }
            // One frame spanning the whole file, with its content size recorded: exact.
            if content < ZSTD_CONTENTSIZE_ERROR, ZSTD_isError(frame) == 0, frame == size { return Int(content) }
        }
        guard let (ratioEstimate, exact) = headRatioEstimate(path: path, size: size) else { return size }
        if exact || !isGzip { return ratioEstimate }
        guard (try? handle.seek(toOffset: UInt64(size - 4))) != nil, let tail = try? handle.read(upToCount: 4),
            tail.count == 4
        else { return ratioEstimate }
        let isize = tail.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        // ISIZE is mod 2^32: pick the multiple closest to the ratio estimate.
        let wraps = max(0, Int((Double(ratioEstimate - isize) / 4_294_967_296).rounded()))
        let candidate = isize + wraps << 32
        let agrees = Double(candidate) > Double(ratioEstimate) / 2 && Double(candidate) < Double(ratioEstimate) * 2
        return agrees ? candidate : ratioEstimate
    }

    /// Decompresses the first ~4 MiB of compressed input; returns the whole file's estimated size
    /// and whether the file ended within the head (then the size is exact).
    static func headRatioEstimate(path: String, size: Int) -> (Int, Bool)? {
        guard var source = try? openByteSource(path: path) else { return nil }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var out = 0
        while source.compressedOffset < 4 << 20 {
            guard let n = try? buffer.withUnsafeMutableBytes({ try source.read(into: $0) }) else { break }
            if n == 0 { return (out, true) }
            out += n
        }
        guard source.compressedOffset > 0, out > 0 else { return nil }
        return (Int((Double(out) / Double(source.compressedOffset) * Double(size)).rounded()), false)
    }
}
