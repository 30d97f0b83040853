/// A Thrift struct this reader decodes: it starts empty and takes its fields one by one (a field it
/// does not know it skips).
protocol ThriftDecodable {
    init()
    mutating func decodeField(_ id: Int16, _ type: ThriftCompactReader.FieldType,
                              from reader: inout ThriftCompactReader) throws
}
