import Foundation

/// A fixed-size, zero-initialised array of scalars with a stable address, for activations and
/// parameters. Hot loops work on `pointer` directly: no copy-on-write, no bounds checks in release.
public final class Buffer<T: TrainScalar> {
    public let count: Int
    public let pointer: UnsafeMutablePointer<T>

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    public subscript(i: Int) -> T {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public func zero() { pointer.update(repeating: 0, count: count) }
    public var array: [T] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
