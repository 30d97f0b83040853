import FileSupport
import Foundation
import JSON

/// `index.json` of an MDS directory.
public struct MDSIndex: Sendable {
    public var shards: [MDSShardEntry]
    public init(shards: [MDSShardEntry]) { self.shards = shards }

    public var json: JSONValue { .object(["shards": .array(shards.map(\.json)), "version": .int(2)]) }

    public func write(to directory: URL) throws {
        try AtomicFile.write(Array(json.encoded().utf8), to: directory.appendingPathComponent("index.json"))
    }

    public static func read(from directory: URL) throws -> MDSIndex {
        let url = directory.appendingPathComponent("index.json")
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw MDSError.io("\(url.path): cannot read (\(error.localizedDescription)); is this an MDS output folder?")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch { throw MDSError.format("\(url.path): \(error)") }
        guard let shards = json["shards"]?.arrayValue else { throw MDSError.format("\(url.path): no 'shards' list") }
        do { return MDSIndex(shards: try shards.map { try MDSShardEntry(json: $0) }) } catch {
            throw MDSError.format("\(url.path): \(error)")
        }
    }
}
