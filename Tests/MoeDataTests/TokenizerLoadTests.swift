import Foundation
import Testing

@testable import MoeData

/// The native encoder is made when the first text is encoded, not when the tokenizer is loaded:
/// making its tries took 50 ms of the 140 ms a build whose ingest is done spends in all, and a
/// multi-core build waited for it before anything could run in parallel.
@Suite(.serialized) struct TokenizerLoadTests {
    @Test func theNativeEncoderIsMadeByTheFirstTextAndGivesTheLibrarysIds() throws {
        let dir = try TestSupport.tempDir("lazy-encoder")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try Manifest.load(path: try FaultPointTests.manifest(in: dir))
        let tokenizer = try Tokenizer(modelPath: manifest.tokenizer.model, sentinels: manifest.tokenizer.sentinels)
        #expect(tokenizer.engine == .native)
        #expect(!tokenizer.nativeEncoderIsMade)
        let prefix = try ModeTokenEncoding.text.ids(forPrefix: "[NLU] ", tokenizer: tokenizer, keyPath: "test")
        #expect(!tokenizer.nativeEncoderIsMade, "a mode prefix needs no native encoder")
        let text = "def mixture(weights):\n    return {k: v / sum(weights) for k, v in weights.items()}  # [NLU] é"
        let ids = try tokenizer.encode(text)
        #expect(tokenizer.nativeEncoderIsMade)
        var copy = text
        let library = try copy.withUTF8 { try tokenizer.libraryEncode(utf8: UnsafeRawBufferPointer($0)) }
        #expect(ids == library)
        #expect(try tokenizer.encode("[NLU] ") == prefix, "the prefix's ids are the native encoder's too")
    }

    /// A build over an output whose ingest is done encodes nothing, so it never makes the encoder;
    /// one that ingests does.
    @Test func aBuildWithNothingToIngestNeverMakesTheNativeEncoder() throws {
        let dir = try TestSupport.tempDir("lazy-encoder-build")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try Manifest.load(path: try FaultPointTests.manifest(in: dir))
        let mixture = try MixtureParser.load(path: try FaultPointTests.mixture(in: dir))
        func build(_ options: Build.Options) throws -> (Build.Summary, Tokenizer) {
            let tokenizer = try Tokenizer(
                modelPath: manifest.tokenizer.model, sentinels: manifest.tokenizer.sentinels)
            let catalog = try Catalog(outputDirectory: manifest.output)
            let summary = try Build(manifest: manifest, mixture: mixture, options: options)
                .run(catalog: catalog, tokenizer: tokenizer, progress: ProgressLine(quiet: true))
            return (summary, tokenizer)
        }
        let (first, ingesting) = try build(Build.Options())
        #expect(first.rows > 0)
        #expect(ingesting.nativeEncoderIsMade, "the ingest encodes the documents")
        let packed = URL(fileURLWithPath: manifest.output).appendingPathComponent("packed")
        let rows = try TestSupport.tree(packed)
        try FileManager.default.removeItem(at: packed)
        let (second, building) = try build(Build.Options())
        #expect(second.rows == first.rows)
        #expect(try TestSupport.tree(packed) == rows)
        #expect(!building.nativeEncoderIsMade, "nothing was ingested, so nothing was encoded")
    }

    /// A long text is cut into pieces that cover it exactly, in order, each at most `maxEncodeBytes`;
    /// a window of UTF-8 continuation bytes alone (not text, but a document can hold it) used to
    /// give an empty piece and the cut never moved on: the ingest hung on such a document.
    @Test func encodePiecesCoverTheTextAndAlwaysMoveOn() throws {
        let limit = Tokenizer.maxEncodeBytes
        let lines = [UInt8](String(repeating: "a line of prose, then a break\n", count: limit / 15).utf8)
        let continuation = [UInt8](repeating: 0x80, count: 2 * limit + 17)
        for text in [lines, continuation, lines + continuation + lines] {
            let pieces = text.withUnsafeBytes { Tokenizer.encodePieces(utf8: $0) }
            #expect(pieces.first?.lowerBound == 0 && pieces.last?.upperBound == text.count)
            #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(pieces.allSatisfy { !$0.isEmpty && $0.count <= limit })
        }
        let cutAtLines = lines.withUnsafeBytes { Tokenizer.encodePieces(utf8: $0) }
        #expect(cutAtLines.count > 1 && cutAtLines.dropLast().allSatisfy { lines[$0.upperBound - 1] == 0x0A })
    }

    /// With more than one job, libsentencepiece's model loads on a second thread while the first
    /// checks it for the native encoder: the tokenizer must be the same, and a model neither
    /// loader takes must fail with the same sentence.
    @Test func loadingOnTwoThreadsGivesTheSameTokenizerAndTheSameErrors() throws {
        let dir = try TestSupport.tempDir("two-thread-load")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try Manifest.load(path: try FaultPointTests.manifest(in: dir))
        let model = manifest.tokenizer.model
        let one = try Tokenizer(modelPath: model, sentinels: manifest.tokenizer.sentinels)
        let two = try Tokenizer(modelPath: model, sentinels: manifest.tokenizer.sentinels, twoThreads: true)
        #expect(two.engine == one.engine && two.modelHash == one.modelHash && two.pieceCount == one.pieceCount)
        #expect(two.eosId == one.eosId && two.padId == one.padId && two.unkId == one.unkId)
        #expect(two.sentinelCount == one.sentinelCount && two.vocabSize == one.vocabSize)
        let text = "def mixture(weights):\n    return {k: v / sum(weights) for k, v in weights.items()}  # é"
        #expect(try two.encode(text) == one.encode(text))
        #expect(try two.decode(one.encode(text)) == one.decode(one.encode(text)))

        let bad = dir.appendingPathComponent("bad.model")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        bytes.removeLast(bytes.count / 3)
        try bytes.write(to: bad)
        func failure(_ twoThreads: Bool) -> String {
            do {
                _ = try Tokenizer(modelPath: bad.path, sentinels: manifest.tokenizer.sentinels, twoThreads: twoThreads)
                return "loaded"
            } catch { return "\(error)" }
        }
        #expect(failure(false) != "loaded")
        #expect(failure(true) == failure(false))
    }
}
