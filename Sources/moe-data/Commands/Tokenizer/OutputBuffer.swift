import Foundation
import MoeData

/// Builds standard output in memory and writes it in large blocks.
struct OutputBuffer {
    private var bytes: [UInt8] = []

    mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func appendIds(_ ids: [UInt32], format: IdFormat, tokenizer: Tokenizer) {
        switch format {
        case .id:
            for (i, id) in ids.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: " ")) }
                appendDecimal(id)
            }
        case .json:
            bytes.append(UInt8(ascii: "["))
            for (i, id) in ids.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                appendDecimal(id)
            }
            bytes.append(UInt8(ascii: "]"))
        case .piece:
            append(ids.map { tokenizer.piece($0) ?? "?" }.joined(separator: " "))
        }
        bytes.append(UInt8(ascii: "\n"))
        if bytes.count > 1 << 20 { flush() }
    }

    private mutating func appendDecimal(_ value: UInt32) {
        // Room for UInt32.max (10 digits), without a heap allocation per id.
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                n += 1
            } while v > 0
            for i in stride(from: n - 1, through: 0, by: -1) { bytes.append(d[i]) }
        }
    }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        FileHandle.standardOutput.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }
}
