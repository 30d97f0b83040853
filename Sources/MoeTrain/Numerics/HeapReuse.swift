import Foundation

/// A training step allocates its activations and gradients afresh (`Buffer`s of up to tens of MiB)
/// and frees them at its end. glibc serves a large allocation with a fresh mapping and gives freed
/// memory at the top of its heap back to the kernel, so every step paid a page fault, and the
/// kernel's zeroing, for each page again (`perf` of `tiny` on 2 threads: `clear_page_erms`,
/// `exc_page_fault` and the mapping calls on the main thread while the other core waited). Raised
/// thresholds keep freed memory in the heap for the next step, as a caching allocator would: the
/// process holds the memory of its largest step, which it needed anyway.
public enum HeapReuse {
    /// Allocations up to this size come from the heap (glibc's largest allowed mmap threshold).
    static let mmapThreshold: Int32 = 32 << 20
    /// Freed memory at the heap's top is returned to the kernel only above this much.
    static let trimThreshold: Int32 = 1 << 30
    // malloc.h's parameter numbers (glibc's ABI); Swift's Glibc module does not import malloc.h.
    static let mTrimThreshold: Int32 = -1
    static let mMmapThreshold: Int32 = -3

    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32

    private static let applied: Bool = {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(address, to: Mallopt.self)
        return mallopt(mMmapThreshold, mmapThreshold) == 1 && mallopt(mTrimThreshold, trimThreshold) == 1
    }()

    /// Sets the thresholds once per process (the trainer, its benchmark and the routing analysis
    /// call it before their first step); true when the C library took them.
    @discardableResult
    public static func enable() -> Bool { applied }
}
