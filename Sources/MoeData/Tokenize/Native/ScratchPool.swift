import Foundation

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
