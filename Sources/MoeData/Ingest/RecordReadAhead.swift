import Foundation

/// The read step on a thread of its own: reads the units in order and hands over their batches
/// through a queue of a few batches, so reading and decompressing the next records goes on while
/// the caller encodes and writes. What arrives, in what order, is what `RecordReadStep` hands
/// over in one thread: each unit's content hash, its batches, then its last batch and problem.
final class RecordReadAhead: @unchecked Sendable {
    enum Message: Sendable {
        /// A full batch of the current unit, with the unit's bytes read so far.
        case batch([RecordEvent], bytesRead: Int)
        /// The current unit's last batch and its problem, if any; the next message is the next unit's.
        case unitEnd(rest: [RecordEvent], problem: SkipRecord?, contentHash: String)
        /// What stopped the reading (a file under `on_error: fail`, an I/O error): nothing follows.
        case failure(any Error)
    }

    private let messages: BoundedQueue<Message>
    private let done = DispatchGroup()

    /// Starts reading `units` (the first from record `resumeRecord` when it is `resumeFile`).
    init(read: RecordReadStep, units: [IngestUnit], resumeFile: Int, resumeRecord: Int, aheadBatches: Int) {
        messages = BoundedQueue(capacity: max(1, aheadBatches))
        let messages = self.messages
        done.enter()
        Thread { [done] in
            defer { done.leave() }
            do {
                for unit in units {
                    let hash = try read.contentHash(unit)
                    let from = unit.fileIndex == resumeFile ? resumeRecord : 0
                    let (rest, problem) = try read.read(unit, from: from) { batch, bytesRead in
                        guard messages.push(.batch(batch, bytesRead: bytesRead)) else { throw Stopped() }
                    }
                    guard messages.push(.unitEnd(rest: rest, problem: problem, contentHash: hash)) else { return }
                }
            } catch is Stopped {
                return
            } catch {
                _ = messages.push(.failure(error))
            }
            messages.close()
        }.start()
    }

    /// The next message; nil once every unit is read.
    func next() -> Message? { messages.pop() }

    /// Stops the thread (the caller failed, or is done) and waits for it.
    func stop() {
        messages.close()
        done.wait()
    }

    /// The caller stopped reading: the thread ends without a message.
    private struct Stopped: Error {}
}
