// libFuzzer harness: the manifest parser (Yams, the key check, then ManifestReader's YAMLField walk),
// as `Manifest.load` runs it minus the file read. Bad manifests must throw.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(data: Data(bytes: data, count: size), encoding: .utf8) else { return 0 }
    // Nested anchors make alias bombs (exponential expansion): issue 11 item 3, handled apart.
    if text.utf8.filter({ $0 == UInt8(ascii: "&") }).count > 1 { return 0 }
    _ = try? Manifest.parse(yaml: text, path: "/nonexistent/manifests/fuzz.yaml")
    return 0
}
