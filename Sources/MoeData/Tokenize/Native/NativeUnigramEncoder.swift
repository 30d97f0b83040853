import Foundation

/// A SentencePiece unigram encoder in Swift that gives the ids of libsentencepiece 0.1.97
/// (`SentencePieceProcessor::Encode`, whose unigram model runs `Model::EncodeOptimized`):
///
/// 1. normalize: user-defined symbols pass through untouched; otherwise the longest rule of the
///    precompiled character map, else the character itself (malformed UTF-8 → U+FFFD, one byte
///    consumed); leading, trailing and repeated spaces removed; spaces escaped to U+2581; the
///    dummy-prefix U+2581 in front;
/// 2. a Viterbi pass over the normalized bytes with the best path ending at each byte offset,
///    fed by a trie walk from each character start, with 0.1.97's score arithmetic and tie-breaks
///    (first candidate wins ties; user-defined pieces score `len * max_score - 0.1`; a character
///    that no single piece covers gets an unknown node at `min_score - 10`);
/// 3. unknown pieces become one byte piece per UTF-8 byte when the model has byte fallback.
///
/// Thread-safe: the model is immutable; per-call buffers come from a pool, so a worker thread
/// reuses the same buffers for every document and the inner loop allocates nothing.
public final class NativeUnigramEncoder: @unchecked Sendable {
    private let trie: PieceTrie
    private let charsMap: PrecompiledCharsMap?
    private let userSymbols: PieceTrie?
    /// Score of each id as the C++ code adds it: a double (user-defined pieces) or a float
    /// widened to double, because the conditional expression there has type double.
    private let scores: UnsafeMutableBufferPointer<Double>
    private let unkScore: Float
    private let unkId: Int32
    /// Ids of `<0x00>`...`<0xFF>` when byte fallback is on.
    private let byteIds: UnsafeMutableBufferPointer<UInt32>?
    private let replacementCharacter: UnsafeMutableBufferPointer<UInt8>
    /// ASCII bytes that normalize to themselves when the next byte is ASCII too (or the end):
    /// they start no user-defined symbol, are no rule by themselves, and no rule continues them
    /// with ASCII. Most text is made of them, and they skip both tries.
    private let passThrough: UnsafeMutableBufferPointer<Bool>
    private let addDummyPrefix: Bool
    private let removeExtraWhitespaces: Bool
    private let escapeWhitespaces: Bool
    private let whitespaceAsSuffix: Bool
    private let pool = ScratchPool()

    public init(model: SentencePieceModelFile, path: String) throws {
        guard model.modelType == .unigram else {
            throw MoeDataError("tokenizer model \(path) is a \(model.modelType) model; the native encoder handles unigram models only")
        }
        var unk: Int32 = -1
        var minScore = Float.greatestFiniteMagnitude
        var maxScore = Float.leastNormalMagnitude  // C++ FLT_MIN, as libsentencepiece starts it
        var seen = Set<[UInt8]>()
        var keys: [[UInt8]] = []
        var values: [Int32] = []
        var userKeys: [[UInt8]] = []
        var bytePieces = [UInt32?](repeating: nil, count: 256)
        for (i, p) in model.pieces.enumerated() {
            guard !p.piece.isEmpty else { throw MoeDataError("tokenizer model \(path): piece #\(i) is empty") }
            guard seen.insert(p.piece).inserted else {
                throw MoeDataError("tokenizer model \(path): piece #\(i) \"\(String(decoding: p.piece, as: UTF8.self))\" is already defined")
            }
            switch p.type {
            case .normal:
                minScore = min(minScore, p.score)
                maxScore = max(maxScore, p.score)
                keys.append(p.piece); values.append(Int32(i))
            case .userDefined:
                keys.append(p.piece); values.append(Int32(i))
                userKeys.append(p.piece)
            case .unused:
                // Still a path in libsentencepiece's trie, but never a lattice node.
                keys.append(p.piece); values.append(-1)
            case .unknown:
                guard unk < 0 else { throw MoeDataError("tokenizer model \(path): more than one unknown piece (#\(unk) and #\(i))") }
                unk = Int32(i)
            case .byte:
                guard model.byteFallback else {
                    throw MoeDataError("tokenizer model \(path): byte piece #\(i) although trainer_spec.byte_fallback is false")
                }
                guard let b = Self.byteValue(p.piece) else {
                    throw MoeDataError("tokenizer model \(path): byte piece #\(i) \"\(String(decoding: p.piece, as: UTF8.self))\" is not <0xNN>")
                }
                bytePieces[b] = UInt32(i)
            case .control:
                break
            }
        }
        guard unk >= 0 else { throw MoeDataError("tokenizer model \(path) has no unknown piece") }
        guard !keys.isEmpty else { throw MoeDataError("tokenizer model \(path) has no normal pieces") }
        // Everything that can throw comes before the buffers below are allocated: a throwing
        // initializer does not run deinit, so a bad charsmap leaked them (LeakSanitizer, fuzzing).
        let rules = model.precompiledCharsMap
        let charsMap = rules.isEmpty ? nil : try PrecompiledCharsMap(rules, path: path)
        self.charsMap = charsMap
        if model.byteFallback {
            let ids = bytePieces.compactMap { $0 }
            guard ids.count == 256 else {
                throw MoeDataError("tokenizer model \(path) has byte_fallback but \(ids.count) of the 256 byte pieces")
            }
            let buffer = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: 256)
            _ = buffer.initialize(from: ids)
            byteIds = buffer
        } else {
            byteIds = nil
        }
        let scores = UnsafeMutableBufferPointer<Double>.allocate(capacity: model.pieces.count)
        for (i, p) in model.pieces.enumerated() {
            // size_t * float is a float product; `- 0.1` then makes it a double.
            scores[i] = p.type == .userDefined ? Double(Float(p.piece.count) * maxScore) - 0.1 : Double(p.score)
        }
        self.scores = scores
        replacementCharacter = .allocate(capacity: 3)
        _ = replacementCharacter.initialize(from: [0xEF, 0xBF, 0xBD])
        unkScore = minScore - 10
        unkId = unk
        trie = PieceTrie(keys: keys, values: values)
        let userDefined = model.pieces.map { $0.type == .userDefined }
        trie.fillScores { id in userDefined[Int(id)] ? .nan : model.pieces[Int(id)].score }
        userSymbols = userKeys.isEmpty ? nil : PieceTrie(keys: userKeys, values: userKeys.indices.map { Int32($0) })
        passThrough = .allocate(capacity: 256)
        for b in 0..<256 {
            let byte = UInt8(b)
            passThrough[b] = byte < 0x80 && (charsMap?.isInertBeforeASCII(byte) ?? true)
                && !(userSymbols?.hasKey(startingWith: byte) ?? false)
        }
        addDummyPrefix = model.addDummyPrefix
        removeExtraWhitespaces = model.removeExtraWhitespaces
        escapeWhitespaces = model.escapeWhitespaces
        whitespaceAsSuffix = model.treatWhitespaceAsSuffix
    }

    deinit {
        scores.deallocate()
        byteIds?.deallocate()
        replacementCharacter.deallocate()
        passThrough.deallocate()
    }

    public convenience init(modelPath: String) throws {
        guard let data = FileManager.default.contents(atPath: modelPath) else {
            throw MoeDataError("tokenizer model \(modelPath) cannot be read")
        }
        try self.init(model: SentencePieceModelFile(bytes: [UInt8](data), path: modelPath), path: modelPath)
    }

    /// The byte of a `<0xNN>` piece. Two hex digits exactly: Int(_:radix:) also takes a sign, so
    /// `<0x-1>` gave -1 and indexed the byte table out of range (found by fuzzing).
    static func byteValue(_ piece: [UInt8]) -> Int? {
        func hex(_ c: UInt8) -> Int? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(c - UInt8(ascii: "0"))
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(c - UInt8(ascii: "A")) + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(c - UInt8(ascii: "a")) + 10
            default: return nil
            }
        }
        guard piece.count == 6, piece.starts(with: Array("<0x".utf8)), piece[5] == UInt8(ascii: ">"),
            let high = hex(piece[3]), let low = hex(piece[4])
        else { return nil }
        return high << 4 | low
    }

    // MARK: Encoding

    public func encode(_ text: String) -> [UInt32] {
        var text = text
        return text.withUTF8 { encode(utf8: UnsafeRawBufferPointer($0)) }
    }

    public func encode(utf8 input: UnsafeRawBufferPointer) -> [UInt32] {
        let scratch = pool.take()
        defer { pool.give(scratch) }
        guard let base = input.baseAddress, input.count > 0 else { return [] }
        let length = normalize(base.assumingMemoryBound(to: UInt8.self), input.count, into: scratch)
        guard length > 0 else { return [] }
        viterbi(scratch.normalized, length, scratch)
        return backtrack(length, scratch)
    }

    /// The normalized text, for tests and the verify report.
    public func normalize(_ text: String) -> [UInt8] {
        let scratch = ScratchPool.Scratch()
        var text = text
        let n = text.withUTF8 { buf -> Int in
            guard let base = buf.baseAddress, buf.count > 0 else { return 0 }
            return normalize(base, buf.count, into: scratch)
        }
        return Array(UnsafeBufferPointer(start: scratch.normalized, count: n))
    }

    // MARK: Normalization (normalizer.cc)

    /// One normalization step at `input` (Normalizer::NormalizePrefix): the replacement bytes
    /// and how many input bytes they replace.
    @inline(__always)
    private func normalizePrefix(_ input: UnsafePointer<UInt8>, _ count: Int)
        -> (replacement: UnsafePointer<UInt8>, length: Int, consumed: Int)
    {
        if passThrough[Int(input[0])] && (count == 1 || input[1] < 0x80) { return (input, 1, 1) }
        if let userSymbols {
            let n = userSymbols.longestPrefixLength(input, count)
            if n > 0 { return (input, n, n) }
        }
        if let charsMap {
            let rule = charsMap.longestMatch(input, count)
            if rule.length > 0 {
                return (UnsafePointer(charsMap.replacements.baseAddress! + rule.start), rule.end - rule.start, rule.length)
            }
        }
        let n = Self.validCharacterLength(input, count)
        if n == 0 { return (UnsafePointer(replacementCharacter.baseAddress!), 3, 1) }
        return (input, n, n)
    }

    /// Length of the well-formed UTF-8 character at `p` (string_util::DecodeUTF8), or 0 when it
    /// is malformed: truncated, overlong, a surrogate, or above U+10FFFF.
    @inline(__always)
    static func validCharacterLength(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int {
        let b0 = UInt32(p[0])
        if b0 < 0x80 { return 1 }
        @inline(__always) func trail(_ i: Int) -> Bool { (p[i] & 0xC0) == 0x80 }
        @inline(__always) func valid(_ c: UInt32) -> Bool { c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF) }
        if count >= 2 && (b0 & 0xE0) == 0xC0 {
            let c = (b0 & 0x1F) << 6 | UInt32(p[1] & 0x3F)
            return trail(1) && c >= 0x80 && valid(c) ? 2 : 0
        } else if count >= 3 && (b0 & 0xF0) == 0xE0 {
            let c = (b0 & 0x0F) << 12 | UInt32(p[1] & 0x3F) << 6 | UInt32(p[2] & 0x3F)
            return trail(1) && trail(2) && c >= 0x800 && valid(c) ? 3 : 0
        } else if count >= 4 && (b0 & 0xF8) == 0xF0 {
            let c = (b0 & 0x07) << 18 | UInt32(p[1] & 0x3F) << 12 | UInt32(p[2] & 0x3F) << 6 | UInt32(p[3] & 0x3F)
            return trail(1) && trail(2) && trail(3) && c >= 0x10000 && valid(c) ? 4 : 0
        }
        return 0
    }

    /// Writes the normalized form of `input[0..<count]` into `scratch.normalized`; returns its length.
    private func normalize(_ input: UnsafePointer<UInt8>, _ count: Int, into scratch: ScratchPool.Scratch) -> Int {
        var pos = 0
        if removeExtraWhitespaces {
            while pos < count {
                let step = normalizePrefix(input + pos, count - pos)
                guard step.length == 1 && step.replacement[0] == 0x20 else { break }
                pos += step.consumed
            }
        }
        guard pos < count else { return 0 }
        let escape = escapeWhitespaces
        // A step writes at most 3 bytes per replacement byte; the buffer grows ahead of a step.
        var dst = scratch.reserveNormalized(3 + 3 * 64)
        var capacity = scratch.normalizedCapacity
        var out = 0
        if !whitespaceAsSuffix && addDummyPrefix {
            if escape {
                dst[0] = 0xE2; dst[1] = 0x96; dst[2] = 0x81
                out = 3
            } else {
                dst[0] = 0x20
                out = 1
            }
        }
        var isPrevSpace = removeExtraWhitespaces
        while pos < count {
            let step = normalizePrefix(input + pos, count - pos)
            var p = step.replacement
            var n = step.length
            if isPrevSpace {
                while n > 0 && p[0] == 0x20 { p += 1; n -= 1 }
            }
            if n > 0 {
                if out + 3 * n + 3 > capacity {
                    dst = scratch.reserveNormalized(out + 3 * n + 3)
                    capacity = scratch.normalizedCapacity
                }
                for i in 0..<n {
                    let b = p[i]
                    if escape && b == 0x20 {
                        dst[out] = 0xE2; dst[out + 1] = 0x96; dst[out + 2] = 0x81
                        out += 3
                    } else {
                        dst[out] = b
                        out += 1
                    }
                }
                isPrevSpace = p[n - 1] == 0x20
            }
            pos += step.consumed
            if !removeExtraWhitespaces { isPrevSpace = false }
        }
        if removeExtraWhitespaces {
            if escape {
                while out >= 3 && dst[out - 3] == 0xE2 && dst[out - 2] == 0x96 && dst[out - 1] == 0x81 { out -= 3 }
            } else {
                while out >= 1 && dst[out - 1] == 0x20 { out -= 1 }
            }
        }
        if whitespaceAsSuffix && addDummyPrefix {
            if escape {
                dst[out] = 0xE2; dst[out + 1] = 0x96; dst[out + 2] = 0x81
                out += 3
            } else {
                dst[out] = 0x20
                out += 1
            }
        }
        return out
    }

    // MARK: Viterbi (unigram_model.cc, Model::EncodeOptimized)

    private func viterbi(_ text: UnsafeMutablePointer<UInt8>, _ size: Int, _ scratch: ScratchPool.Scratch) {
        scratch.reserveNodes(size + 1)
        let nodes = scratch.nodes
        for i in 0...size { nodes[i] = BestPathNode(score: 0, startsAt: -1, id: -1) }
        let unkScore = self.unkScore
        let unkId = self.unkId
        do {
            do {
                let units = trie.units
                let scores = self.scores
                var startsAt = 0
                while startsAt < size {
                    let tillHere = nodes[startsAt].score
                    let lead = text[startsAt]
                    let oneCharLen = lead < 0xC0 ? 1 : (lead < 0xE0 ? 2 : (lead < 0xF0 ? 3 : 4))
                    let mblen = min(oneCharLen, size - startsAt)
                    var hasSingleNode = false
                    var node = 0
                    var keyPos = startsAt
                    while keyPos < size {
                        let t = Int(units[node].base) + Int(text[keyPos])
                        guard Int(units[t].check) == node else { break }
                        node = t
                        keyPos += 1
                        let id = units[t].value
                        guard id >= 0 else { continue }
                        // NaN marks user-defined pieces, whose score is a double.
                        let unitScore = units[t].score
                        let candidate = (unitScore.isNaN ? scores[Int(id)] : Double(unitScore)) + Double(tillHere)
                        if nodes[keyPos].startsAt == -1 || candidate > Double(nodes[keyPos].score) {
                            nodes[keyPos] = BestPathNode(score: Float(candidate), startsAt: Int32(startsAt), id: id)
                        }
                        if keyPos - startsAt == mblen { hasSingleNode = true }
                    }
                    if !hasSingleNode {
                        let candidate = unkScore + tillHere
                        let end = startsAt + mblen
                        if nodes[end].startsAt == -1 || candidate > nodes[end].score {
                            nodes[end] = BestPathNode(score: candidate, startsAt: Int32(startsAt), id: unkId)
                        }
                    }
                    startsAt += mblen
                }
            }
        }
    }

    /// The ids of the best path. Like libsentencepiece, a run of adjacent unknown pieces is one
    /// unknown (its surface is the whole run), which byte fallback then spells byte by byte.
    private func backtrack(_ size: Int, _ scratch: ScratchPool.Scratch) -> [UInt32] {
        let nodes = scratch.nodes
        let unkId = self.unkId
        let byteFallback = byteIds != nil
        var count = 0
        var end = size
        while end > 0 {
            let n = nodes[end]
            let start = Int(n.startsAt)
            if n.id != unkId {
                count += 1
            } else if byteFallback {
                count += end - start
            } else if start == 0 || nodes[start].id != unkId {
                count += 1
            }
            end = start
        }
        let text = scratch.normalized
        return [UInt32](unsafeUninitializedCapacity: count) { out, initialized in
            var k = count
            var end = size
            while end > 0 {
                let n = nodes[end]
                let start = Int(n.startsAt)
                if n.id != unkId {
                    k -= 1
                    out[k] = UInt32(n.id)
                } else if let byteIds {
                    var i = end
                    while i > start { i -= 1; k -= 1; out[k] = byteIds[Int(text[i])] }
                } else if start == 0 || nodes[start].id != unkId {
                    k -= 1
                    out[k] = UInt32(bitPattern: unkId)
                }
                end = start
            }
            initialized = count
        }
    }
}

struct BestPathNode {
    var score: Float
    var startsAt: Int32
    var id: Int32
}

/// Reusable per-call buffers. A worker takes one for a document and gives it back, so each
/// thread ends up reusing the same grown buffers; the lock is uncontended in practice.
final class ScratchPool: @unchecked Sendable {
    final class Scratch {
        private(set) var normalized: UnsafeMutablePointer<UInt8>
        private(set) var normalizedCapacity: Int
        private(set) var nodes: UnsafeMutablePointer<BestPathNode>
        private var nodeCapacity: Int

        init() {
            normalizedCapacity = 4096
            normalized = .allocate(capacity: normalizedCapacity)
            nodeCapacity = 4096
            nodes = .allocate(capacity: nodeCapacity)
        }

        deinit {
            normalized.deallocate()
            nodes.deallocate()
        }

        /// The normalized buffer with room for `n` bytes (contents kept).
        @inline(__always)
        func reserveNormalized(_ n: Int) -> UnsafeMutablePointer<UInt8> {
            if n > normalizedCapacity { growNormalized(n) }
            return normalized
        }

        private func growNormalized(_ n: Int) {
            let capacity = max(n, normalizedCapacity * 2)
            let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            fresh.update(from: normalized, count: normalizedCapacity)
            normalized.deallocate()
            normalized = fresh
            normalizedCapacity = capacity
        }

        func reserveNodes(_ n: Int) {
            guard n > nodeCapacity else { return }
            nodes.deallocate()
            nodeCapacity = max(n, nodeCapacity * 2)
            nodes = .allocate(capacity: nodeCapacity)
        }

        /// Drops buffers grown by one huge document, so the pool does not keep them forever.
        func shrinkIfHuge() {
            let limit = 1 << 24
            if normalizedCapacity > limit {
                normalized.deallocate(); normalizedCapacity = 4096; normalized = .allocate(capacity: normalizedCapacity)
            }
            if nodeCapacity > limit {
                nodes.deallocate(); nodeCapacity = 4096; nodes = .allocate(capacity: nodeCapacity)
            }
        }
    }

    private let lock = NSLock()
    private var free: [Scratch] = []

    func take() -> Scratch {
        lock.lock()
        let s = free.popLast()
        lock.unlock()
        return s ?? Scratch()
    }

    func give(_ s: Scratch) {
        s.shrinkIfHuge()
        lock.lock()
        free.append(s)
        lock.unlock()
    }
}
