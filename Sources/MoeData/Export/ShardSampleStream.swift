import Foundation
import MDS

/// The samples of a run of an MDS dataset's shards, in order, each as a view of its raw bytes,
/// with bounded memory: the shards are decompressed in pieces by `ShardDecoder` threads (shard k
/// by thread k mod `decoders`, so two shards decode at once on two cores while this thread reads),
/// never whole. In memory: the pieces of a `PiecePool` (43 MiB), each thread's read buffer and
/// zstd context, plus one sample when it straddles two pieces (a sample is at most a shard).
///
/// A shard's structure is checked as MDSShard checks it: its sample count and offsets, the last
/// offset at its raw size. Errors are `MDSError`s.
final class ShardSampleStream {
    /// Bytes of one piece: a 2 MiB window (zstd's at the build's levels) and a 128 KiB block, so
    /// that zstd decodes straight into the pieces (`ZstdPieceDecoder`).
    static let pieceBytes = (2 << 20) + (128 << 10)
    /// Pieces of each decoding thread's own: the one it fills, the reader's two (the one read and
    /// the one before it, which the decoder may still refer to), and one ahead.
    static let ownPieces = 4
    /// Pieces any thread may fill ahead of the reader (`PiecePool`): 25.5 MiB, 43 MiB with the own
    /// ones, less than one 64 MiB shard and the same for any shard size.
    static let sharedPieces = 12

    let dataset: MDSDataset
    let shards: Range<Int>
    private let decoders: [ShardDecoder]
    private var piece: ShardPiece?
    private var pieceOffset = 0
    /// The piece read before `piece`, given back only once the one after `piece` is taken: until
    /// then its decoder may still copy from it.
    private var previous: ShardPiece?
    /// A sample that straddles pieces, copied whole.
    private var scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    /// Two decoding threads where there are two cores (one where there is one).
    static var defaultDecoders: Int { min(2, max(1, ProcessInfo.processInfo.activeProcessorCount)) }

    init(dataset: MDSDataset, shards: Range<Int>, decoders: Int = ShardSampleStream.defaultDecoders) {
        self.dataset = dataset
        self.shards = shards
        let count = max(1, min(decoders, shards.count))
        let pool = PiecePool(
            threads: count, ownPieces: ShardSampleStream.ownPieces, sharedPieces: ShardSampleStream.sharedPieces,
            pieceBytes: ShardSampleStream.pieceBytes)
        self.decoders = (0..<count).map { d in
            ShardDecoder(
                dataset: dataset, shards: shards.filter { ($0 - shards.lowerBound) % count == d }, pool: pool,
                thread: d, pieces: ShardSampleStream.ownPieces + ShardSampleStream.sharedPieces)
        }
    }

    deinit {
        close()
        scratch.deallocate()
    }

    /// Stops the decoding threads (they drop what they read and nobody took).
    func close() {
        for decoder in decoders { decoder.close() }
    }

    /// Calls `body` with each sample's shard, number in its shard and raw bytes (valid during the
    /// call), in order, until it returns false.
    func forEachSample(_ body: (Int, Int, UnsafeRawBufferPointer) throws -> Bool) throws {
        for shard in shards {
            let decoder = decoders[(shard - shards.lowerBound) % decoders.count]
            let entry = dataset.index.shards[shard]
            let name = dataset.directory.appendingPathComponent(entry.zipBasename ?? entry.rawBasename).path
            let offsets = try readOffsets(decoder, entry, name)
            for sample in 0..<(offsets.count - 1) {
                let bytes = try take(Int(offsets[sample + 1] - offsets[sample]), from: decoder, name)
                guard try body(shard, sample, bytes) else { return }
            }
            try endShard(decoder, name)
        }
    }

    /// The shard's header: its sample count, then one more offset than samples, each where a
    /// sample starts (absolute, in the shard's raw bytes), the last at the end of the shard; the
    /// bytes up to the first sample are read past.
    private func readOffsets(_ decoder: ShardDecoder, _ entry: MDSShardEntry, _ name: String) throws -> [UInt32] {
        let count = Int(try take(4, from: decoder, name).loadUnaligned(as: UInt32.self).littleEndian)
        let headerBytes = 4 + 4 * (count + 1)
        guard headerBytes <= entry.rawBytes, count == entry.samples else {
            throw MDSError.format("\(name): \(count) samples, index.json says \(entry.samples)")
        }
        let header = try take(4 * (count + 1), from: decoder, name)
        let offsets = (0...count).map {
            UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))
        }
        guard offsets[0] >= headerBytes, offsets.last.map(Int.init) == entry.rawBytes,
            zip(offsets, offsets.dropFirst()).allSatisfy(<=)
        else {
            throw MDSError.format(
                "\(name): its sample offsets do not run from its header to its size \(entry.rawBytes)")
        }
        // mosaicml-streaming's writer puts the columns' config (JSON) between the offsets and the samples.
        _ = try take(Int(offsets[0]) - headerBytes, from: decoder, name)
        return offsets
    }

    /// The next `count` bytes of the shard `decoder` is reading: a view into a piece, or the bytes
    /// copied from several pieces into `scratch`; valid until the next call.
    private func take(_ count: Int, from decoder: ShardDecoder, _ name: String) throws -> UnsafeRawBufferPointer {
        if count == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
        if piece == nil || pieceOffset == piece?.count { try nextPiece(decoder, name) }
        if let piece, piece.count - pieceOffset >= count {
            defer { pieceOffset += count }
            return UnsafeRawBufferPointer(rebasing: piece.bytes[pieceOffset..<(pieceOffset + count)])
        }
        if scratch.count < count {
            scratch.deallocate()
            scratch = .allocate(byteCount: max(count, 2 * scratch.count), alignment: 64)
        }
        var filled = 0
        while filled < count {
            if pieceOffset == piece?.count { try nextPiece(decoder, name) }
            guard let piece else { break }
            let n = min(count - filled, piece.count - pieceOffset)
            UnsafeMutableRawBufferPointer(rebasing: scratch[filled..<(filled + n)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: piece.bytes[pieceOffset..<(pieceOffset + n)]))
            filled += n
            pieceOffset += n
        }
        return UnsafeRawBufferPointer(rebasing: scratch[0..<count])
    }

    /// Gives the read piece back and takes the shard's next one.
    private func nextPiece(_ decoder: ShardDecoder, _ name: String) throws {
        if let previous { decoder.recycle(previous) }
        previous = piece
        piece = nil
        pieceOffset = 0
        switch decoder.output.pop() {
        case .piece(let next)?: piece = next
        case .end?: throw MDSError.format("\(name): the shard ends inside its samples")
        case .failure(let error)?: throw error
        case nil: throw MDSError.io("\(name): the shard's reading thread stopped")
        }
    }

    /// After the shard's last sample: its bytes are used up, and they were what index.json says.
    private func endShard(_ decoder: ShardDecoder, _ name: String) throws {
        if let piece {
            guard pieceOffset == piece.count else { throw MDSError.format("\(name): bytes after its last sample") }
            decoder.recycle(piece)
        }
        // The shard's frames are decoded: nothing refers to its pieces any more.
        if let previous { decoder.recycle(previous) }
        previous = nil
        piece = nil
        pieceOffset = 0
        switch decoder.output.pop() {
        case .end?: return
        case .piece?: throw MDSError.format("\(name): bytes after its last sample")
        case .failure(let error)?: throw error
        case nil: throw MDSError.io("\(name): the shard's reading thread stopped")
        }
    }
}
