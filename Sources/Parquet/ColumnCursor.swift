/// Reads one flat column of one row group value by value (one value per row), in any supported
/// encoding. Memory: one page as stored and decompressed (pages are read as they come, not the
/// whole chunk), and the dictionary.
///
/// Errors name the row group and the column, and the page's file offset when a page is at fault.
public struct ColumnCursor {
    public let column: LeafColumn
    /// "row group 2, column 'content'".
    public let place: String
    private var pages: PageReader
    private var dictionary: ColumnDictionary?
    private var state: PageDecoder
    /// Values the chunk's metadata promises and that were not read yet.
    private var chunkValuesLeft: Int

    /// Reads the chunk of leaf `column` in row group `rowGroup`, page by page. The codec must be
    /// one `decompressor` supports; the column must be flat.
    public init(
        file: ParquetFile, input: some ParquetInput, rowGroup: Int, column: Int,
        decompressor: any PageDecompressor, maxPageBytes: Int
    ) throws {
        let leaf = file.schema.leaves[column]
        self.column = leaf
        place = "row group \(rowGroup), column '\(leaf.name)'"
        guard leaf.isFlat else { throw ParquetError("\(place): a nested or repeated column cannot be read") }
        let (meta, range) = try file.chunk(rowGroup: rowGroup, column: column)
        guard decompressor.supported.contains(meta.codec) else {
            let names = decompressor.supported.map(\.description).sorted().joined(separator: ", ")
            throw ParquetError("\(place): compression codec \(meta.codec) is not supported (supported: \(names))")
        }
        guard meta.numValues >= 0, meta.numValues == file.metadata.rowGroups[rowGroup].numRows else {
            throw ParquetError("\(place): the chunk holds \(meta.numValues) values for "
                + "\(file.metadata.rowGroups[rowGroup].numRows) rows")
        }
        pages = PageReader(input: input, chunk: range, codec: meta.codec, decompressor: decompressor,
                           maxPageBytes: maxPageBytes)
        state = PageDecoder()
        chunkValuesLeft = Int(meta.numValues)
    }

    /// File offset of the page being read (or of the next one), for errors.
    public var pageOffset: Int { state.page?.offset ?? pages.offset }
    /// Uncompressed bytes of the pages read so far.
    public var uncompressedBytes: Int { pages.uncompressedBytes }

    /// Gives the next row's value to `body`; byte values are valid only inside it.
    public mutating func withNext<T>(_ body: (ParquetValue) throws -> T) throws -> T {
        do {
            guard chunkValuesLeft > 0 else { throw ParquetError("more rows asked than the column chunk holds") }
            while state.left == 0 { try loadPage() }
            chunkValuesLeft -= 1
            return try state.withNext(column: column, dictionary: dictionary, body)
        } catch let e as ParquetError {
            throw e.at(state.page.map { "\(place), page at byte \($0.offset)" } ?? place)
        }
    }

    /// Passes over the next row's value.
    public mutating func skip() throws {
        try withNext { _ in () }
    }

    private mutating func loadPage() throws {
        state = PageDecoder()
        guard let page = try pages.next() else {
            throw ParquetError("the column chunk ends with \(chunkValuesLeft) of its values missing")
        }
        switch page.header.kind {
        case .dictionary:
            guard dictionary == nil else { throw ParquetError("page at byte \(page.offset): a second dictionary page") }
            do { dictionary = try ColumnDictionary(page: page, column: column) } catch let e as ParquetError {
                throw e.at("page at byte \(page.offset)")
            }
        case .data, .dataV2:
            let count = Int(page.header.numValues)
            guard count >= 0, count <= chunkValuesLeft else {
                throw ParquetError("page at byte \(page.offset): \(count) values, with \(chunkValuesLeft) left "
                    + "in the column chunk")
            }
            do { state = try PageDecoder(page: page, column: column) } catch let e as ParquetError {
                throw e.at("page at byte \(page.offset)")
            }
        case .index, nil:
            break
        }
    }
}
