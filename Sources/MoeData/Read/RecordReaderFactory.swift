// Apart from the readers: the fuzz harnesses compile RecordReaders.swift without the Parquet reader.

/// Opens the right reader for a file of a source, or for part of a JSONL file (`input`) or of a
/// Parquet file (the row groups starting in `rowGroupBytes`); text and code files are never split.
/// A Parquet reader starts at the row group holding record `fromRecord`.
func makeRecordReader(
    file: InputFile, fileIndex: Int, source: SourceSpec, maxDocumentBytes: Int, input: RecordInput? = nil,
    rowGroupBytes: Range<Int>? = nil, fromRecord: Int = 0
) throws
    -> any RecordReader
{
    switch source.format {
    case .parquet:
        return try ParquetRecordReader(
            file: file, fileIndex: fileIndex, source: source, maxDocumentBytes: maxDocumentBytes,
            byteRange: rowGroupBytes, fromRow: fromRecord)
    case .jsonl:
        return try JSONLReader(
            file: file, fileIndex: fileIndex, source: source, maxDocumentBytes: maxDocumentBytes, input: input)
    case .text, .code:
        return WholeFileReader(file: file, fileIndex: fileIndex, source: source, maxDocumentBytes: maxDocumentBytes)
    }
}
