/// One value of a flat column as read, in its physical type. Byte values point into the reader's
/// buffers and are valid only inside the closure they are given to.
public enum ParquetValue {
    case null
    case boolean(Bool)
    case int32(Int32)
    case int64(Int64)
    /// The 12 bytes of a legacy INT96 timestamp (nanoseconds of the day, then the Julian day).
    case int96(UnsafeRawBufferPointer)
    case float(Float)
    case double(Double)
    /// BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY.
    case bytes(UnsafeRawBufferPointer)
}
