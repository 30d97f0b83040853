import Foundation

/// A tokenizer.json's `normalizer`, as steps applied in order: none, `NFC`, `NFKC`, `Precompiled`
/// (SentencePiece's character map), `Replace` (`ReplacePattern`), `Prepend`, and `Sequence`s of these.
/// Swift's own NFC (the standard library's, which `String` comparison uses) does the composing; NFKC is
/// NFC of each character's compatibility decomposition (Foundation's, remembered per character by each
/// `NormalizerScratch`).
struct HuggingFaceNormalizer: Sendable {
    enum Step: Sendable {
        case nfc
        case nfkc
        case precompiled(PrecompiledCharsMap, inert: [Bool])
        case replace(ReplacePattern, content: [UInt8])
        /// Before a non-empty text.
        case prepend([UInt8])
    }

    let steps: [Step]

    static let supported =
        "none, NFC, NFKC, Precompiled, Prepend, \(ReplacePattern.supported), and a Sequence of these"

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
        switch try object.type() {
        case "Sequence": return try object.objects("normalizers").flatMap(steps(of:))
        case "NFC": return [.nfc]
        case "NFKC": return [.nfkc]
        case "Prepend": return [.prepend(Array(try object.string("prepend").utf8))]
        case "Precompiled":
            guard let base64 = try object.optionalString("precompiled_charsmap"), !base64.isEmpty else { return [] }
            guard let blob = Data(base64Encoded: base64) else {
                throw object.error("precompiled_charsmap is not base64")
            }
            let map = try PrecompiledCharsMap([UInt8](blob), path: object.path)
            return [.precompiled(map, inert: map.inertASCII())]
        case "Replace":
            return [.replace(try replacePattern(object), content: Array(try object.string("content").utf8))]
        case let type:
            throw object.unsupported("normalizer \(type)", supported: supported)
        }
    }

    private static func replacePattern(_ object: TokenizerJSONObject) throws -> ReplacePattern {
        guard let pattern = try object.object("pattern") else { throw object.error("\"pattern\" is missing") }
        if let literal = try pattern.optionalString("String") { return .literal(Array(literal.utf8)) }
        let regex = try pattern.optionalString("Regex") ?? ""
        guard let known = ReplacePattern(regex: regex) else {
            throw object.unsupported("Replace of the regex \(String(reflecting: regex))", supported: supported)
        }
        return known
    }

    var isIdentity: Bool { steps.isEmpty }

    /// `text` normalized, into `out` (replacing its contents).
    func normalize(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], scratch: NormalizerScratch) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: text)
        for step in steps {
            switch step {
            // ASCII text is its own NFC and NFKC.
            case .nfc: if !Self.isASCII(out) { out = String(decoding: out, as: UTF8.self)._nfcCodeUnits }
            case .nfkc: if !Self.isASCII(out) { out = scratch.nfkc(out) }
            case .precompiled(let map, let inert):
                scratch.swap.removeAll(keepingCapacity: true)
                map.normalizeGraphemes(out, inert: inert, into: &scratch.swap)
                swap(&out, &scratch.swap)
            case .replace(let pattern, let content):
                pattern.replace(out, with: content, into: &scratch.swap)
                swap(&out, &scratch.swap)
            case .prepend(let prefix):
                if !out.isEmpty { out.insert(contentsOf: prefix, at: 0) }
            }
        }
    }
}

extension HuggingFaceNormalizer {
    static func isASCII(_ text: [UInt8]) -> Bool {
        text.withUnsafeBufferPointer { buffer in
            var i = 0
            let raw = UnsafeRawBufferPointer(buffer)
            while i + 8 <= buffer.count {
                if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
                i += 8
            }
            while i < buffer.count {
                if buffer[i] >= 0x80 { return false }
                i += 1
            }
            return true
        }
    }
}

/// What normalizing needs per thread: a second buffer, and the compatibility decompositions met so far.
final class NormalizerScratch {
    var swap: [UInt8] = []
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
