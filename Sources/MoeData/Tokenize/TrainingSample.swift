import PackedFormat

/// Where training text comes from: anything that can list its documents' texts in a stable
/// order. `moe-data tokenizer train --input` uses `TextFileSource`; a manifest source plugs in
/// the same way through `ClosureTextSource` (or its own conformance).
public protocol TrainingTextSource {
    /// Stable name: keys the sample draw and labels the statistics.
    var name: String { get }
    /// Calls `body` with each document in order. Must give the same documents in the same
    /// order on every call (the sample is keyed by document index).
    func forEachDocument(_ body: (Substring) throws -> Void) throws
}

/// A source defined by a closure, for callers that already have a document reader.
public struct ClosureTextSource: TrainingTextSource {
    public let name: String
    private let documents: ((Substring) throws -> Void) throws -> Void

    public init(name: String, documents: @escaping ((Substring) throws -> Void) throws -> Void) {
        self.name = name
        self.documents = documents
    }

    public func forEachDocument(_ body: (Substring) throws -> Void) throws {
        try withoutActuallyEscaping(body) { try documents($0) }
    }
}

/// What the sampler kept from one source.
public struct TrainingSampleStats: Sendable, Equatable {
    public var source: String
    /// This source's byte budget (its share of the sample).
    public var budgetBytes: Int
    public var documents: Int = 0
    public var sentencesSeen: Int = 0
    public var bytesSeen: Int = 0
    public var sentencesKept: Int = 0
    public var bytesKept: Int = 0
}

/// Draws a training sample of about `totalBytes` from several sources, each getting its share
/// of the bytes, in one streaming pass over each source with memory bounded by the budget.
///
/// Documents are cut into sentences (lines; a line longer than `maxSentenceBytes` is cut at a
/// character boundary). Every sentence gets a priority from `KeyedRandom(seed, source,
/// document, sentence)`; a source keeps the lowest-priority sentences that fit in its budget
/// (a bottom-k sample by bytes, kept in a max-heap), which is a uniform sample of its
/// sentences. The result depends only on the inputs and the seed.
public struct TrainingSampler {
    public var totalBytes: Int
    public var seed: UInt64
    public var maxSentenceBytes: Int

    public init(totalBytes: Int, seed: UInt64, maxSentenceBytes: Int = 4192) {
        self.totalBytes = totalBytes
        self.seed = seed
        self.maxSentenceBytes = maxSentenceBytes
    }

    /// Samples `sources` with relative `share`s (normalised to sum to 1). Returns the kept
    /// sentences in source order, then document and sentence order.
    public func sample(_ sources: [(source: any TrainingTextSource, share: Double)]) throws
        -> (sentences: [String], stats: [TrainingSampleStats])
    {
        guard !sources.isEmpty else { throw MoeDataError("no training inputs given") }
        var names = Set<String>()
        for (source, share) in sources {
            guard share.isFinite && share > 0 else {
                throw MoeDataError("share \(share) of training input \(source.name) must be a positive number")
            }
            guard names.insert(source.name).inserted else {
                throw MoeDataError("training input \(source.name) is listed twice")
            }
        }
        let shareSum = sources.reduce(0) { $0 + $1.share }
        var sentences: [String] = []
        var stats: [TrainingSampleStats] = []
        for (source, share) in sources {
            let budget = Int((Double(totalBytes) * share / shareSum).rounded(.down))
            let (kept, sourceStats) = try sampleOne(source, budget: budget)
            sentences += kept
            stats.append(sourceStats)
        }
        return (sentences, stats)
    }

    private func sampleOne(_ source: any TrainingTextSource, budget: Int) throws
        -> ([String], TrainingSampleStats)
    {
        var stats = TrainingSampleStats(source: source.name, budgetBytes: budget)
        var heap = MaxHeap()
        var heldBytes = 0
        let sourceKey = KeyedRandom.key(source.name)
        try source.forEachDocument { text in
            let document = UInt64(stats.documents)
            stats.documents += 1
            var sentenceIndex: UInt64 = 0
            forEachSentence(text) { sentence in
                let bytes = sentence.utf8.count
                let index = sentenceIndex
                sentenceIndex += 1
                stats.sentencesSeen += 1
                stats.bytesSeen += bytes
                guard bytes <= budget else { return }
                var random = KeyedRandom(seed: seed, sourceKey, document, index)
                let priority = random.next()
                // Full and this sentence ranks after everything held: skip it without copying.
                if heldBytes + bytes > budget, let top = heap.top, priority > top.priority { return }
                heap.push(.init(priority: priority, document: document, sentence: index, text: String(sentence)))
                heldBytes += bytes
                while heldBytes > budget, let dropped = heap.pop() {
                    heldBytes -= dropped.text.utf8.count
                }
            }
        }
        var kept = heap.drain()
        kept.sort { ($0.document, $0.sentence) < ($1.document, $1.sentence) }
        stats.sentencesKept = kept.count
        stats.bytesKept = heldBytes
        return (kept.map(\.text), stats)
    }

    /// Lines of `text` (split at "\n", as spm_train reads files) that are not blank, each cut
    /// into chunks of at most `maxSentenceBytes` bytes at Character boundaries (the trainer
    /// skips longer sentences entirely). Works on UTF-8 bytes: this runs over every input byte.
    func forEachSentence(_ text: Substring, _ body: (Substring) -> Void) {
        let utf8 = text.utf8
        var lineStart = utf8.startIndex
        while lineStart < utf8.endIndex {
            let lineEnd = utf8[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? utf8.endIndex
            let lineBytes = utf8[lineStart..<lineEnd]
            if lineBytes.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) {
                let line = text[lineStart..<lineEnd]
                if lineBytes.count <= maxSentenceBytes { body(line) } else { forEachChunk(line, body) }
            }
            lineStart = lineEnd == utf8.endIndex ? lineEnd : utf8.index(after: lineEnd)
        }
    }

    private func forEachChunk(_ line: Substring, _ body: (Substring) -> Void) {
        var rest = line
        while rest.utf8.count > maxSentenceBytes {
            // Cut after the last whole Character that fits; a single Character longer than the
            // limit goes alone (the trainer then skips it).
            var end = rest.index(after: rest.startIndex)
            var bytes = 0
            for i in rest.indices {
                bytes += rest[i].utf8.count
                if bytes > maxSentenceBytes { break }
                end = rest.index(after: i)
            }
            body(rest[..<end])
            rest = rest[end...]
        }
        if !rest.isEmpty { body(rest) }
    }
}

private struct HeldSentence {
    var priority: UInt64
    var document: UInt64
    var sentence: UInt64
    var text: String
}

/// Binary max-heap on priority (ties broken by position so the order is total).
private struct MaxHeap {
    private var items: [HeldSentence] = []

    var top: HeldSentence? { items.first }

    private static func above(_ a: HeldSentence, _ b: HeldSentence) -> Bool {
        (a.priority, a.document, a.sentence) > (b.priority, b.document, b.sentence)
    }

    mutating func push(_ item: HeldSentence) {
        items.append(item)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard MaxHeap.above(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> HeldSentence? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let last = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var best = i
            if l < items.count, MaxHeap.above(items[l], items[best]) { best = l }
            if r < items.count, MaxHeap.above(items[r], items[best]) { best = r }
            if best == i { break }
            items.swapAt(i, best)
            i = best
        }
        return last
    }

    mutating func drain() -> [HeldSentence] {
        defer { items = [] }
        return items
    }
}

/// Hands the sample to the trainer while releasing it, so the sample and the trainer's own
/// copy are not both held in full.
public struct DrainingSentences: Sequence, IteratorProtocol {
    private var reversed: [String]
    public init(_ sentences: [String]) { reversed = sentences.reversed() }
    public mutating func next() -> String? { reversed.popLast() }
}
