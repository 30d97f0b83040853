import JSON

/// One object of a tokenizer.json (a component, or the file itself), with field access whose errors
/// name the file and the component: `tokenizer.json x: pre_tokenizer.pretokenizers[1]: ...`.
struct TokenizerJSONObject {
    let path: String
    /// Where the object is in the file, as `model` or `normalizer.normalizers[0]`.
    let component: String
    let fields: [String: JSONValue]

    init(_ value: JSONValue, path: String, component: String) throws {
        guard case .object(let fields) = value else {
            throw MoeDataError("tokenizer.json \(path): \(component) is not a JSON object")
        }
        self.path = path
        self.component = component
        self.fields = fields
    }

    /// A component already read, for errors found later (its fields are not kept).
    init(path: String, component: String) {
        self.path = path
        self.component = component
        fields = [:]
    }

    func error(_ why: String) -> MoeDataError {
        MoeDataError("tokenizer.json \(path): \(component): \(why)")
    }

    /// A component the native encoder does not reproduce: refused, never encoded differently.
    func unsupported(_ what: String, supported: String) -> MoeDataError {
        error(
            "\(what) is not supported by moe-data's native encoder (supported: \(supported)); "
                + "no ids are made rather than ids that differ from the tokenizers library's")
    }

    /// The object's `type`.
    func type() throws -> String { try string("type") }

    func string(_ key: String) throws -> String {
        guard let text = try optionalString(key) else { throw error("\"\(key)\" is missing") }
        return text
    }

    /// nil when the field is absent or null.
    func optionalString(_ key: String) throws -> String? {
        switch fields[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw error("\"\(key)\" is not a string")
        }
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        switch fields[key] {
        case nil, .null?: return value
        case .bool(let flag)?: return flag
        default: throw error("\"\(key)\" is not true or false")
        }
    }

    /// nil when the field is absent or null.
    func object(_ key: String) throws -> TokenizerJSONObject? {
        guard let value = fields[key], value != .null else { return nil }
        return try TokenizerJSONObject(value, path: path, component: "\(component).\(key)")
    }

    /// The objects of the array `key` (absent or null: none).
    func objects(_ key: String) throws -> [TokenizerJSONObject] {
        guard let value = fields[key], value != .null else { return [] }
        guard case .array(let items) = value else { throw error("\"\(key)\" is not an array") }
        return try items.enumerated().map {
            try TokenizerJSONObject($1, path: path, component: "\(component).\(key)[\($0)]")
        }
    }
}
