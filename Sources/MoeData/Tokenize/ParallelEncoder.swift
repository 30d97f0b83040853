import Dispatch
import Foundation

/// Encodes a batch of documents on `jobs` threads. Results are stored by index, so the output
/// is the same whatever the thread count or scheduling.
struct ParallelEncoder {
    let tokenizer: Tokenizer
    let jobs: Int
    /// Longer texts are encoded in pieces cut at line breaks: SentencePiece's lattice for a
    /// whole 50 MB line would need gigabytes. Ids can differ from a one-call encode only
    /// at the cut points.
    static let maxEncodeBytes = 1 << 20

    func encode(_ texts: [[UInt8]]) throws -> [[UInt32]] {
        let results = ResultSlots(count: texts.count)
        let next = WorkCounter()
        let workers = max(1, min(jobs, texts.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = next.take(limit: texts.count) {
                do { results.set(i, .success(try encodeOne(texts[i]))) } catch { results.set(i, .failure(error)) }
            }
        }
        return try results.values()
    }

    func encodeOne(_ text: [UInt8]) throws -> [UInt32] {
        if text.count <= ParallelEncoder.maxEncodeBytes {
            return try text.withUnsafeBytes { try tokenizer.encode(utf8: $0) }
        }
        var ids: [UInt32] = []
        var start = 0
        try text.withUnsafeBytes { buf in
            while start < buf.count {
                var end = min(start + ParallelEncoder.maxEncodeBytes, buf.count)
                if end < buf.count {
                    // Cut after the last newline in the window, else at a UTF-8 character boundary.
                    if let nl = buf[start..<end].lastIndex(of: 0x0A), nl > start { end = nl + 1 } else {
                        while end > start && buf[end] & 0xC0 == 0x80 { end -= 1 }
                    }
                }
                ids.append(contentsOf: try tokenizer.encode(utf8: UnsafeRawBufferPointer(rebasing: buf[start..<end])))
                start = end
            }
        }
        return ids
    }
}

/// A lock-protected counter handing out work indices.
final class WorkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take(limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

/// Fixed slots written by index from several threads (each slot by exactly one thread).
final class ResultSlots: @unchecked Sendable {
    private var slots: [Result<[UInt32], any Error>?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<[UInt32], any Error>) {
        lock.lock()
        slots[i] = r
        lock.unlock()
    }
    func values() throws -> [[UInt32]] {
        try slots.map { slot in
            guard let slot else { throw MoeDataError("internal error: a document was not encoded") }
            return try slot.get()
        }
    }
}
