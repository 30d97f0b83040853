// libFuzzer harness: the JSON target's parser (index.json, json columns, every JSON file we read back).
// Any input must parse or throw a JSONSyntaxError; what parses must survive the canonical
// encoder and parse back to the same value (that is how index.json is rewritten on resume).
import Foundation
import JSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    guard let value = try? JSONValue.parse(bytes) else { return 0 }
    guard value.isFinite else { return 0 }  // 1e999 parses to infinity, which JSON cannot spell
    let again: JSONValue
    do { again = try JSONValue.parse(Data(value.encoded().utf8)) } catch {
        fatalError("the canonical encoding of a parsed value does not parse: \(error)")
    }
    if again != value { fatalError("round trip changed the value: \(value) -> \(again)") }
    return 0
}

extension JSONValue {
    var isFinite: Bool {
        switch self {
        case .double(let d): return d.isFinite
        case .array(let a): return a.allSatisfy(\.isFinite)
        case .object(let o): return o.values.allSatisfy(\.isFinite)
        default: return true
        }
    }
}
