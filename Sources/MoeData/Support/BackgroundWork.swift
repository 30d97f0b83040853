import Foundation

/// A value made on a thread of its own while the caller does something else; `get()` waits for
/// it and returns it, or throws what making it threw.
final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error> = .failure(MoeDataError("internal error: unfinished work"))

    init(_ make: @escaping @Sendable () throws -> Value) {
        Thread { [self] in
            result = Result { try make() }
            done.signal()
        }.start()
    }

    func get() throws -> Value {
        done.wait()
        return try result.get()
    }
}
