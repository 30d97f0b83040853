import Foundation

/// One thread's buffers for `HuggingFaceEncoder`, taken from a pool for each text and given back,
/// so that a worker reuses the same grown buffers and caches for every document.
final class HuggingFaceScratch {
    var segments: [AddedTokenMatcher.Segment] = []
    var normalizedSegments: [AddedTokenMatcher.Segment] = []
    var normalized: [UInt8] = []
    var prefixed: [UInt8] = []
    var repaired: [UInt8] = []
    let bpe = BPEScratch()
    let unigram = UnigramScratch()
    let normalizer = NormalizerScratch()

    /// The pool a `HuggingFaceEncoder` takes scratches from.
    final class Pool: @unchecked Sendable {
        private let lock = NSLock()
        private var free: [HuggingFaceScratch] = []

        func take() -> HuggingFaceScratch {
            lock.withLock { free.popLast() } ?? HuggingFaceScratch()
        }

        func give(_ scratch: HuggingFaceScratch) {
            lock.withLock { free.append(scratch) }
        }
    }
}
