/// Little-endian append helpers for building binary files.
extension Array where Element == UInt8 {
    @inline(__always) mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }

    @inline(__always) mutating func appendArrayLE<T: FixedWidthInteger>(_ values: [T]) {
        #if _endian(little)
            values.withUnsafeBytes { append(contentsOf: $0) }
        #else
            for v in values { appendLE(v) }
        #endif
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always) func readLE<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    func readArrayLE<T: FixedWidthInteger>(_ type: T.Type, at offset: Int, count: Int) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buf, n in
            let dst = UnsafeMutableRawBufferPointer(buf)
            dst.copyMemory(
                from: UnsafeRawBufferPointer(rebasing: self[offset..<(offset + count * MemoryLayout<T>.stride)]))
            #if !_endian(little)
                for i in 0..<count { buf[i] = T(littleEndian: buf[i]) }
            #endif
            n = count
        }
    }
}
