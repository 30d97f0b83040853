import Foundation

/// A tokenizer.json's `normalizer`: none, `NFC`, `NFKC`, or a `Sequence` of these, applied in order.
/// Swift's own NFC (the standard library's, which `String` comparison uses) does the composing;
/// NFKC is NFC of each character's compatibility decomposition (Foundation's, remembered per
/// character by each `NormalizerScratch`).
struct HuggingFaceNormalizer: Sendable, Equatable {
    enum Step: String, Sendable, Equatable {
        case nfc = "NFC"
        case nfkc = "NFKC"
    }

    let steps: [Step]

    static let supported = "none, NFC, NFKC, and a Sequence of these"

    init(steps: [Step]) { self.steps = steps }

    /// `normalizer` of a tokenizer.json (nil: none).
    init(_ object: TokenizerJSONObject?) throws {
        guard let object else {
            steps = []
            return
        }
        steps = try Self.steps(of: object)
    }

    private static func steps(of object: TokenizerJSONObject) throws -> [Step] {
        let type = try object.type()
        if type == "Sequence" {
            return try object.objects("normalizers").flatMap(steps(of:))
        }
        guard let step = Step(rawValue: type) else {
            throw object.unsupported("normalizer \(type)", supported: supported)
        }
        return [step]
    }

    var isIdentity: Bool { steps.isEmpty }

    /// `text` normalized, into `out` (replacing its contents).
    func normalize(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], scratch: NormalizerScratch) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: text)
        // ASCII text is its own NFC and NFKC; so is any text in which ASCII is all there is.
        guard !steps.isEmpty, text.contains(where: { $0 >= 0x80 }) else { return }
        for step in steps {
            switch step {
            case .nfc: out = String(decoding: out, as: UTF8.self)._nfcCodeUnits
            case .nfkc: out = scratch.nfkc(out)
            }
        }
    }
}

/// What normalizing needs per thread: the compatibility decompositions met so far.
final class NormalizerScratch {
    private var decompositions: [UInt32: [UInt8]] = [:]
    private var decomposed: [UInt8] = []

    /// NFKC of valid UTF-8 `text`: each character's compatibility decomposition, then NFC.
    func nfkc(_ text: [UInt8]) -> [UInt8] {
        decomposed.removeAll(keepingCapacity: true)
        for scalar in String(decoding: text, as: UTF8.self).unicodeScalars {
            if scalar.isASCII {
                decomposed.append(UInt8(scalar.value))
            } else {
                decomposed.append(contentsOf: decomposition(of: scalar))
            }
        }
        return String(decoding: decomposed, as: UTF8.self)._nfcCodeUnits
    }

    private func decomposition(of scalar: Unicode.Scalar) -> [UInt8] {
        if let known = decompositions[scalar.value] { return known }
        let bytes = Array(String(Character(scalar)).decomposedStringWithCompatibilityMapping.utf8)
        // Text with many distinct characters (all of CJK) must not grow this without bound.
        if decompositions.count > 1 << 16 { decompositions.removeAll(keepingCapacity: true) }
        decompositions[scalar.value] = bytes
        return bytes
    }
}
