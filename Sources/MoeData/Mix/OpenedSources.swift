import FileSupport
import Foundation

/// Token datasets opened, with the shards of their first window set decoding, before the build
/// needs them. With `--jobs` above 1, `build` opens them first thing, so that the first shards
/// decode on a second core while the first one loads the tokenizer and checks the ingest: the
/// mixer's first rows waited about 35 ms for them on a 2-core machine, with the other core idle.
///
/// The mixer takes an opened source only where a fresh one would have read the same: a source
/// that starts at the beginning of its first epoch (not a resumed one), of the same folder, seed
/// and window, whose index.json and dedup removal list are byte for byte what they were when it
/// was opened (an ingest or a dedup in between makes the mixer open the source again). So the rows
/// cannot depend on whether a source was opened early; only its first shards are decoded sooner.
public final class OpenedSources: @unchecked Sendable {
    private struct Key: Hashable {
        let name: String
        let directory: String
        let seed: UInt64
        let windowDocs: Int
    }

    private let lock = NSLock()
    private var opened: [Key: (documents: SourceDocuments, inputs: [UInt8])] = [:]

    /// Opens every source of `mixture` that has a token dataset under `tokensDirectory` and asks
    /// for its first window's shards; a source that cannot be opened is left to the mixer, which
    /// says why.
    public init(mixture: Mixture, tokensDirectory: URL, windowDocs: Int = Mixer.defaultWindowDocs) {
        guard let schedule = try? MixSchedule(mixture) else { return }
        for name in schedule.sources {
            let directory = tokensDirectory.appendingPathComponent(name)
            guard let inputs = OpenedSources.inputs(name: name, directory: directory),
                let documents = try? SourceDocuments(
                    name: name, directory: directory, seed: mixture.seed, windowDocs: windowDocs, readAhead: true),
                (try? documents.readFirstWindowAhead()) != nil
            else { continue }
            let key = Key(name: name, directory: directory.path, seed: mixture.seed, windowDocs: windowDocs)
            opened[key] = (documents, inputs)
        }
    }

    /// The source opened early, if it was and it reads what a fresh one would (see above); it is
    /// handed out once.
    func take(name: String, directory: URL, seed: UInt64, windowDocs: Int) -> SourceDocuments? {
        let key = Key(name: name, directory: directory.path, seed: seed, windowDocs: windowDocs)
        guard let found = lock.withLock({ opened.removeValue(forKey: key) }),
            OpenedSources.inputs(name: name, directory: directory) == found.inputs
        else { return nil }
        return found.documents
    }

    /// Closes the sources nobody took (their shards stop decoding).
    public func dropRest() {
        lock.withLock { opened.removeAll() }
    }

    /// What a `SourceDocuments` reads before its first shard: index.json, and the dedup's list of
    /// removed documents (empty when there is none); nil when there is no index.json.
    private static func inputs(name: String, directory: URL) -> [UInt8]? {
        guard let index = FileManager.default.contents(atPath: directory.appendingPathComponent("index.json").path)
        else { return nil }
        let output = directory.deletingLastPathComponent().deletingLastPathComponent()
        let removed = FileManager.default.contents(
            atPath: RemovedDocuments.file(outputDirectory: output, source: name).path)
        var bytes = [UInt8](index)
        bytes.append(0)
        if let removed { bytes += [UInt8](removed) }
        return bytes
    }
}
