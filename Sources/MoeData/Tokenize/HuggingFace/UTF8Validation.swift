/// Whether bytes are well-formed UTF-8 (the rules of `NativeUnigramEncoder.validCharacterLength`:
/// no truncated, overlong or surrogate sequences, nothing above U+10FFFF).
enum UTF8Validation {
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var i = 0
        let n = bytes.count
        while i < n {
            // Eight ASCII bytes at a time: most text is ASCII.
            if i + 8 <= n && UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            if base[i] < 0x80 {
                i += 1
                continue
            }
            let length = NativeUnigramEncoder.validCharacterLength(base + i, n - i)
            guard length > 0 else { return false }
            i += length
        }
        return true
    }
}
