// libFuzzer harness: the MDS reader (MDSDataset: index.json, then a shard file, then samples).
// Input: a 2-byte little-endian length, that many bytes of index.json, then the shard file's
// bytes, written under the name the first index entry gives (zip_data's, else raw_data's).
// Hashes are not checked (a mutated shard would only ever reach the hash check); every other
// check of the reader runs.
import Foundation
import JSON
import MDS

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let indexLength = min(Int(data[0]) | Int(data[1]) << 8, size - 2)
    let index = UnsafeRawBufferPointer(start: data + 2, count: indexLength)
    let shard = UnsafeRawBufferPointer(start: data + 2 + indexLength, count: size - 2 - indexLength)
    _ = FuzzScratch.write(index, to: "index.json")
    let entry = (try? JSONValue.parse(Data(index)))?["shards"]?.arrayValue?.first
    let name = entry?["zip_data"]?["basename"]?.stringValue ?? entry?["raw_data"]?["basename"]?.stringValue
    if let name, !name.isEmpty, !name.contains("/"), name != ".", name != "..", name != "index.json" {
        _ = FuzzScratch.write(shard, to: name)
    }
    let directory = URL(fileURLWithPath: FuzzScratch.folder)
    guard let dataset = try? MDSDataset(directory: directory, verifyHashes: false) else { return 0 }
    _ = dataset.sampleCount
    for i in 0..<min(dataset.shardCount, 4) {
        guard let shard = try? dataset.shard(i) else { continue }
        for j in 0..<min(shard.count, 64) {
            _ = try? shard.sampleByName(j)
        }
    }
    if let name { try? FileManager.default.removeItem(atPath: FuzzScratch.folder + "/" + name) }
    return 0
}
