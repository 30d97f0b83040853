/// Little-endian bit unpacking, as Parquet packs levels, dictionary indices and deltas (LSB first).
enum BitUnpacking {
    /// The `width`-bit value (width ≤ 64) at bit `offset` of `bytes`; bits past the end read as 0.
    @inline(__always)
    static func value(_ bytes: UnsafeRawBufferPointer, bitOffset: Int, width: Int) -> UInt64 {
        guard width > 0 else { return 0 }
        let start = bitOffset >> 3, shift = bitOffset & 7
        var low: UInt64
        if start + 8 <= bytes.count {
            low = bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self)
        } else {
            low = 0
            var k = 0
            while k < 8 && start + k < bytes.count {
                low |= UInt64(bytes[start + k]) << UInt64(8 * k)
                k += 1
            }
        }
        var v = low >> UInt64(shift)
        if shift + width > 64, start + 8 < bytes.count {
            v |= UInt64(bytes[start + 8]) << UInt64(64 - shift)
        }
        return width == 64 ? v : v & ((1 << UInt64(width)) - 1)
    }
}
