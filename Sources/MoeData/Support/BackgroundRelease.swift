import Foundation

/// Lets go of `value` on a thread of its own, so that freeing what only it holds (hundreds of MB
/// of buffers, say) runs beside the caller's next steps instead of before them.
func releaseInBackground<Value>(_ value: consuming Value) {
    let box = ReleaseBox(consume value)
    Thread { box.release() }.start()
}

/// Holds the value until the releasing thread drops it (the caller keeps no reference).
private final class ReleaseBox<Value>: @unchecked Sendable {
    private var value: Value?

    init(_ value: consuming Value) {
        self.value = consume value
    }

    func release() {
        value = nil
    }
}
