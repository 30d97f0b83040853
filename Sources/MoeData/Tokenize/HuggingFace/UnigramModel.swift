/// The tokenizers library's Unigram model (`models/unigram`, `encode_optimized`), built from a
/// `UnigramModelFile`: the best segmentation of each word by a Viterbi pass over byte offsets with
/// float64 scores (`candidate > best` keeps the first of equal paths, pieces met shortest first), an
/// unknown node at the lowest score minus 10 where no piece covers a character, adjacent unknown
/// characters fused into one piece, then each piece's id: by its text, else its bytes' fallback pieces,
/// else the unknown id. The trie is the native SentencePiece encoder's (`PieceTrie`).
final class UnigramModel: Sendable {
    let trie: PieceTrie
    /// Score of each id.
    let scores: [Double]
    let unknownScore: Double
    let unknownId: Int32
    /// Ids by the piece's UTF-8 (a piece listed twice: its last id, as the library's map).
    let ids: ByteStringMap
    /// The ids of `<0x00>`...`<0xFF>` when `byte_fallback` (`UInt32.max` for a missing one).
    let fallbackIds: [UInt32]?

    init(_ file: UnigramModelFile) {
        var ids = ByteStringMap(minimumCapacity: file.pieces.count)
        for (i, p) in file.pieces.enumerated() { ids.set(Array(p.piece.utf8), to: UInt64(i)) }
        var keys: [[UInt8]] = []
        var values: [Int32] = []
        var seen = Set<String>()
        for (i, p) in file.pieces.enumerated().reversed() where seen.insert(p.piece).inserted {
            keys.append(Array(p.piece.utf8))
            values.append(Int32(i))
        }
        trie = PieceTrie(keys: keys, values: values)
        scores = file.pieces.map(\.score)
        unknownScore = (scores.min() ?? 0) - 10
        unknownId = Int32(file.unkId)
        fallbackIds =
            file.byteFallback
            ? (0..<256).map { b in ids.value(Array(BPEModel.fallbackPiece(UInt8(b)).utf8)).map { UInt32($0) } ?? .max }
            : nil
        self.ids = ids
    }

    /// Appends the ids of `word` (UTF-8) to `out`.
    func encode(word: UnsafePointer<UInt8>, count: Int, into out: inout [UInt32], scratch: UnigramScratch) {
        guard count > 0 else { return }
        scratch.reset(count + 1)
        viterbi(word, count, scratch)
        // Back from the end: pieces, with runs of unknown characters fused.
        scratch.pieces.removeAll(keepingCapacity: true)
        var end = count
        var unknownEnd = -1
        while end > 0 {
            let start = Int(scratch.startsAt[end])
            if scratch.ids[end] == unknownId {
                if unknownEnd < 0 { unknownEnd = end }
            } else {
                if unknownEnd >= 0 { scratch.pieces.append((end, unknownEnd, -1)) }
                unknownEnd = -1
                scratch.pieces.append((start, end, scratch.ids[end]))
            }
            end = start
        }
        if unknownEnd >= 0 { scratch.pieces.append((0, unknownEnd, -1)) }
        for (start, end, id) in scratch.pieces.reversed() {
            if id >= 0 {
                out.append(UInt32(id))
            } else {
                appendUnknown(word + start, end - start, into: &out)
            }
        }
    }

    /// A fused run of unknown characters: the piece of that text if there is one, else its bytes'
    /// fallback pieces when all exist, else the unknown id (`Unigram::tokenize`).
    private func appendUnknown(_ text: UnsafePointer<UInt8>, _ count: Int, into out: inout [UInt32]) {
        if let id = ids.value(text, count) {
            out.append(UInt32(truncatingIfNeeded: id))
        } else if let fallbackIds, (0..<count).allSatisfy({ fallbackIds[Int(text[$0])] != .max }) {
            for i in 0..<count { out.append(fallbackIds[Int(text[i])]) }
        } else {
            out.append(UInt32(unknownId))
        }
    }

    private func viterbi(_ text: UnsafePointer<UInt8>, _ size: Int, _ scratch: UnigramScratch) {
        let best = scratch.scores
        let startsAt = scratch.startsAt
        let nodeIds = scratch.ids
        scores.withUnsafeBufferPointer { scores in
            // Keeps the first of equal candidates, as the library's `candidate > best`.
            @inline(__always) func offer(_ end: Int, _ score: Double, from start: Int, _ id: Int32) {
                if startsAt[end] == -1 || score > best[end] {
                    best[end] = score
                    startsAt[end] = Int32(start)
                    nodeIds[end] = id
                }
            }
            var start = 0
            while start < size {
                let tillHere = best[start]
                let lead = text[start]
                let characterLength = min(lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4, size - start)
                var single = false
                trie.forEachPiece(in: text, from: start, to: size) { end, id in
                    offer(end, scores[Int(id)] + tillHere, from: start, id)
                    if end - start == characterLength { single = true }
                }
                if !single { offer(start + characterLength, unknownScore + tillHere, from: start, unknownId) }
                start += characterLength
            }
        }
    }
}

/// One thread's buffers for `UnigramModel`: the best path ending at each byte offset.
final class UnigramScratch {
    private(set) var scores: UnsafeMutablePointer<Double>
    private(set) var startsAt: UnsafeMutablePointer<Int32>
    private(set) var ids: UnsafeMutablePointer<Int32>
    private var capacity = 1024
    var pieces: [(Int, Int, Int32)] = []

    init() {
        scores = .allocate(capacity: capacity)
        startsAt = .allocate(capacity: capacity)
        ids = .allocate(capacity: capacity)
    }

    deinit {
        scores.deallocate()
        startsAt.deallocate()
        ids.deallocate()
    }

    /// Room for `n` offsets, every one without a path yet.
    func reset(_ n: Int) {
        if n > capacity {
            scores.deallocate()
            startsAt.deallocate()
            ids.deallocate()
            capacity = max(n, capacity * 2)
            scores = .allocate(capacity: capacity)
            startsAt = .allocate(capacity: capacity)
            ids = .allocate(capacity: capacity)
        }
        scores.update(repeating: 0, count: n)
        startsAt.update(repeating: -1, count: n)
        ids.update(repeating: -1, count: n)
    }
}
