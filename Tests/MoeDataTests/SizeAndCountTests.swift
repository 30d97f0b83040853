import Foundation
import Testing

@testable import MoeData

/// Byte sizes and token counts share one exact number+suffix reading; each keeps its units.
@Suite struct SizeAndCountTests {
    @Test func byteSizesTakeDecimalAndBinaryUnitsInAnyCase() {
        #expect(ByteSize.parse("20M") == 20_000_000)
        #expect(ByteSize.parse("20MB") == 20_000_000)
        #expect(ByteSize.parse("20mb") == 20_000_000)
        #expect(ByteSize.parse("64MiB") == 64 << 20)
        #expect(ByteSize.parse("64mib") == 64 << 20)
        #expect(ByteSize.parse("64 MiB") == 64 << 20)
        #expect(ByteSize.parse("1GiB") == 1 << 30)
        #expect(ByteSize.parse("1G") == 1_000_000_000)
        #expect(ByteSize.parse("512KB") == 512_000)
        #expect(ByteSize.parse("300K") == 300_000)
        #expect(ByteSize.parse("1000") == 1000)
        #expect(ByteSize.parse("1000B") == 1000)
        #expect(ByteSize.parse("64_000") == 64_000)
        // A fraction of a unit rounds down to a whole byte; without a unit it must be whole.
        #expect(ByteSize.parse("1.5KB") == 1500)
        #expect(ByteSize.parse("0.3KiB") == 307)
        #expect(ByteSize.parse("1.0") == 1)
        #expect(ByteSize.parse("1.5") == nil)
        for bad in ["", "MiB", "1e6", "nanMB", "-5MB", "1.2.3K", "1.K", "twoMB", "1TB", "99999999999999999999"] {
            #expect(ByteSize.parse(bad) == nil, "\(bad)")
        }
        #expect(ByteSize.parse("9223372036854775807") == Int.max)
        #expect(ByteSize.parse("9223372036854775807K") == nil)
    }

    @Test func theSampleBytesOptionTakesBothSpellingsAndRefusesTheRest() throws {
        #expect(try ByteSize.option("20M", name: "--sample-bytes") == 20_000_000)
        #expect(try ByteSize.option("64MiB", name: "--sample-bytes") == 64 << 20)
        for bad in ["0", "abc", "1e400", "2000T", "1000000000000000"] {
            let error = #expect(throws: MoeDataError.self) { try ByteSize.option(bad, name: "--sample-bytes") }
            #expect(error?.description.contains("--sample-bytes \(bad) is not a size") == true, "\(bad)")
        }
    }

    @Test func manifestSizesTakeBothSpellings() throws {
        func manifest(shardSize: String) throws -> Manifest {
            try Manifest.parse(
                yaml: """
                    name: sizes
                    output: out
                    shard_size: \(shardSize)
                    max_document_bytes: 2M
                    tokenizer: {model: m.model}
                    sources:
                      - {name: a, format: jsonl, paths: [x.jsonl], domain: web}
                    """, path: "/nonexistent/sizes.yaml")
        }
        #expect(try manifest(shardSize: "64K").shardSizeBytes == 64_000)
        #expect(try manifest(shardSize: "64KiB").shardSizeBytes == 65_536)
        #expect(try manifest(shardSize: "64KiB").maxDocumentBytes == 2_000_000)
    }

    @Test func tokenCountsKeepTheirUnitsAndExactness() {
        #expect(TokenCount.parse("1.1T") == 1_100_000_000_000)
        #expect(TokenCount.parse("780B") == 780_000_000_000)
        #expect(TokenCount.parse("780G") == 780_000_000_000)
        #expect(TokenCount.parse("2m") == 2_000_000)
        #expect(TokenCount.parse("1.5K") == 1500)
        #expect(TokenCount.parse("1_100_000") == 1_100_000)
        for bad in ["1.5", "1.0005K", "1MiB", "64KB", "-1M", "ß", "1ß", "1e6"] {
            #expect(TokenCount.parse(bad) == nil, "\(bad)")
        }
    }
}
