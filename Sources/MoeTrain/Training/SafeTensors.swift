import Foundation
import JSON

/// The safetensors file format: an 8-byte little-endian header length, a JSON header mapping each tensor
/// name to {dtype, shape, data_offsets} (plus a "__metadata__" map of strings), then the raw data.
/// Only F32 is written and read here.
public enum SafeTensors {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let begin: Int
        public let end: Int
        /// Elements, from the shape (checked against the byte range when the file is read).
        public var count: Int { shape.reduce(1, *) }
    }

    /// A parsed file: entries by name, metadata, and the data section.
    public struct File {
        public let entries: [String: Entry]
        public let metadata: [String: String]
        public let data: [UInt8]
        public let path: String

        /// The tensor `name` as Floats, checked against the expected shape. A NaN or infinity is refused:
        /// a model with one would only give meaningless losses or routing findings.
        public func floats(_ name: String, shape: [Int]) throws -> [Float] {
            guard let e = entries[name] else { throw TrainError("\(path): tensor '\(name)' missing") }
            guard e.shape == shape else {
                throw TrainError("\(path): tensor '\(name)' has shape \(e.shape), the model needs \(shape)")
            }
            let count = e.count
            guard e.end - e.begin == count * 4, e.begin >= 0, e.end <= data.count else {
                throw TrainError("\(path): tensor '\(name)' data range is wrong")
            }
            let values = data.withUnsafeBytes { raw in
                (0..<count).map {
                    Float(
                        bitPattern: UInt32(
                            littleEndian: raw.loadUnaligned(fromByteOffset: e.begin + 4 * $0, as: UInt32.self)))
                }
            }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw TrainError(
                    "\(path): tensor '\(name)' holds a non-finite value (\(values[bad])) at index \(bad); "
                        + "the checkpoint is unusable")
            }
            return values
        }
    }

    /// Serialises `tensors` (name, shape, values) with `metadata`.
    public static func encode(
        _ tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)],
        metadata: [String: String]
    ) -> [UInt8] {
        var header: [String: JSONValue] = ["__metadata__": .object(metadata.mapValues { .string($0) })]
        var offset = 0
        for t in tensors {
            let bytes = t.values.count * 4
            header[t.name] = .object([
                "dtype": .string("F32"), "shape": .array(t.shape.map { .int(Int64($0)) }),
                "data_offsets": .array([.int(Int64(offset)), .int(Int64(offset + bytes))]),
            ])
            offset += bytes
        }
        var json = Array(JSONValue.object(header).encoded().utf8)
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces so the data is 8-byte aligned
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for t in tensors {
            #if _endian(little)
                out.append(contentsOf: UnsafeRawBufferPointer(t.values))  // already little-endian F32
            #else
                for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
            #endif
        }
        return out
    }

    /// The safetensors reference refuses headers above 100 MB; a checkpoint's is a few kilobytes.
    static let maxHeaderBytes: UInt64 = 100_000_000

    /// Reads and checks a file: every length, offset and shape is checked before it is used, so a
    /// damaged or foreign file gets a sentence naming it, never a trap.
    public static func read(_ url: URL) throws -> File {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainError("\(url.path): missing or unreadable")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw TrainError("\(url.path): too short for a safetensors file") }
        let declared = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declared > 0, declared <= maxHeaderBytes, declared <= UInt64(bytes.count - 8) else {
            throw TrainError(
                "\(url.path): header length \(declared) does not fit the \(bytes.count)-byte file "
                    + "(not a safetensors file, or truncated)")
        }
        let headerLength = Int(declared)
        let json: JSONValue
        do { json = try JSONValue.parse(Data(bytes[8..<(8 + headerLength)])) } catch {
            throw TrainError("\(url.path): bad safetensors header: \(error)")
        }
        guard let object = json.objectValue else {
            throw TrainError("\(url.path): safetensors header is not a JSON object")
        }
        var entries: [String: Entry] = [:], metadata: [String: String] = [:]
        let dataBytes = Array(bytes[(8 + headerLength)...])
        for (name, value) in object {
            if name == "__metadata__" {
                for (k, v) in value.objectValue ?? [:] { metadata[k] = v.stringValue }
                continue
            }
            let bad = TrainError(
                "\(url.path): tensor '\(name)' has a bad header entry "
                    + "(need dtype F32, a shape of non-negative integers, data_offsets within the file matching "
                        + "the shape)"
            )
            guard value["dtype"]?.stringValue == "F32", let shapeValues = value["shape"]?.arrayValue,
                let offsetValues = value["data_offsets"]?.arrayValue, offsetValues.count == 2
            else { throw bad }
            let shape = shapeValues.compactMap { $0.intValue }.map { Int($0) }
            let offsets = offsetValues.compactMap { $0.intValue }.map { Int($0) }
            guard shape.count == shapeValues.count, offsets.count == 2, shape.allSatisfy({ $0 >= 0 }),
                offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataBytes.count
            else { throw bad }
            // The element count, in overflow-checked steps; it must match the byte range exactly.
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, product <= dataBytes.count else { throw bad }
                count = product
            }
            guard offsets[1] - offsets[0] == count * 4 else { throw bad }
            entries[name] = Entry(name: name, shape: shape, begin: offsets[0], end: offsets[1])
        }
        return File(entries: entries, metadata: metadata, data: dataBytes, path: url.path)
    }
}
