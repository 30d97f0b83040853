/// A Parquet file that cannot be read as asked: malformed bytes, or something this reader does not
/// support (a codec, an encoding, a nested column). `reason` says what, with the place (row group,
/// column, page offset) when one is known; the caller adds the file name.
public struct ParquetError: Error, CustomStringConvertible, Sendable, Equatable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }

    /// The same problem with `place` ("row group 2, column 'content', page at byte 4096") before it.
    func at(_ place: String) -> ParquetError { ParquetError("\(place): \(reason)") }
}
