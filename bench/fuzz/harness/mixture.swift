// libFuzzer harness: the mixture parser (MixtureParser.parse: Yams.compose, then the node walk
// with budgets, groups, objectives and denoisers), then what `--total-tokens` does with the
// result (Mixture.scaled). Bad mixtures must throw.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(data: Data(bytes: data, count: size), encoding: .utf8) else { return 0 }
    // Nested anchors make alias bombs (exponential expansion): issue 11 item 3, handled apart.
    if text.utf8.filter({ $0 == UInt8(ascii: "&") }).count > 1 { return 0 }
    guard let mixture = try? MixtureParser.parse(yaml: text, file: "fuzz.yaml") else { return 0 }
    _ = mixture.totalTokens
    _ = try? mixture.scaled(toTotal: 2_000_000)
    _ = try? mixture.scaled(toTotal: 1)
    return 0
}
