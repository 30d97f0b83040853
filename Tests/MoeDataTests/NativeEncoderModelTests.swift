import Foundation
import MoeData
import Testing

/// The native encoder on a umT5-sized vocabulary, on models that are not unigram, and on
/// model files that are damaged.
@Suite(.serialized) struct NativeEncoderModelTests {
    /// A 256,000-piece model: a trained nmt_nfkc model extended (python protobuf) with real
    /// words and word fragments of the test text, scored inside the learned score range so the
    /// new pieces win some segmentations and lose others.
    @Test func umT5SizedModelGivesIdenticalIds() throws {
        let small = try NativeEncoderTests.model(NativeEncoderTests.variants[0])
        let large = TokenizerFixtures.directory.appendingPathComponent("native-256k.model").path
        let text = try TokenizerFixtures.write(
            TokenizerFixtures.prose(maxBytes: 1_000_000) + TokenizerFixtures.code(maxBytes: 1_000_000),
            "native-256k-words.txt")
        let script = """
            import sys, re, zlib
            from sentencepiece import sentencepiece_model_pb2 as pb
            m = pb.ModelProto()
            m.ParseFromString(open(sys.argv[1], "rb").read())
            scores = sorted(p.score for p in m.pieces if p.type == pb.ModelProto.SentencePiece.NORMAL)
            lo, hi = scores[0], scores[len(scores) // 2]
            have = set(p.piece for p in m.pieces)
            words = re.findall(r"\\w+|[^\\w\\s]+", open(sys.argv[2], encoding="utf-8").read())
            def add(s):
                if len(m.pieces) >= 256000 or s in have or not s: return
                have.add(s)
                p = m.pieces.add()
                p.piece = s
                p.score = lo + (hi - lo) * (zlib.crc32(s.encode()) % 10007) / 10007.0
                p.type = pb.ModelProto.SentencePiece.NORMAL
            for w in words:
                add("\\u2581" + w); add(w)
                for k in range(2, min(len(w), 8)): add(w[:k]); add(w[-k:])
            n = 0
            while len(m.pieces) < 256000:
                add("\\u2581w%d" % n); n += 1
            open(sys.argv[3], "wb").write(m.SerializeToString())
            """
        // The pure-python protobuf runtime loads sentencepiece_model_pb2 whatever protobuf version is installed.
        let py = try TokenizerFixtures.run(
            "/usr/bin/env",
            ["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python", "python3", "-c", script, small, text, large])
        try #require(py.status == 0, "\(py.err)")

        let tokenizer = try Tokenizer(modelPath: large, sentinelCount: 300, engine: .library)
        #expect(tokenizer.pieceCount == 256_000)
        let native = try NativeUnigramEncoder(modelPath: large)
        let docs = try NativeEncoderTests.realDocuments()
        let onText = try NativeEncoderTests.firstDifference(tokenizer, native, docs)
        #expect(onText == nil, "\(onText ?? "")")
        let random = NativeEncoderTests.randomStrings(count: 1000, seed: 256)
        let onRandom = try NativeEncoderTests.firstDifference(tokenizer, native, random)
        #expect(onRandom == nil, "\(onRandom ?? "")")
    }

    /// BPE models stay with libsentencepiece under `auto`, and `native` refuses them.
    @Test func nonUnigramModelsUseTheLibrary() throws {
        let corpus = try TokenizerFixtures.write(TokenizerFixtures.prose(maxBytes: 200_000), "native-bpe.txt")
        let prefix = TokenizerFixtures.directory.appendingPathComponent("native-bpe").path
        let train = try TokenizerFixtures.run(
            TestSupport.which("spm_train"),
            [
                "--input=\(corpus)", "--model_prefix=\(prefix)", "--model_type=bpe", "--vocab_size=500",
                "--pad_id=0", "--eos_id=1", "--unk_id=2", "--bos_id=-1", "--minloglevel=2",
            ])
        try #require(train.status == 0, "\(train.err)")
        let auto = try Tokenizer(modelPath: prefix + ".model", sentinelCount: 0)
        #expect(auto.engine == .library)
        #expect(try auto.encode("hello world").count > 0)
        #expect(throws: MoeDataError.self) {
            try Tokenizer(modelPath: prefix + ".model", sentinelCount: 0, engine: .native)
        }
        #expect(throws: MoeDataError.self) { try NativeUnigramEncoder(modelPath: prefix + ".model") }
        let library = try Tokenizer(modelPath: try TokenizerFixtures.model(), sentinelCount: 0, engine: .library)
        #expect(library.engine == .library)
    }

    /// Truncated and corrupted model files give errors that name the file, never a crash.
    @Test func damagedModelFilesAreClearErrors() throws {
        let good = try [UInt8](
            Data(contentsOf: URL(fileURLWithPath: try NativeEncoderTests.model(NativeEncoderTests.variants[0]))))
        var cases: [(String, [UInt8])] = [
            ("truncated", Array(good.prefix(good.count / 2))),
            ("one byte", [0x0A]),
            ("length past end", [0x0A, 0xFF, 0xFF, 0x03]),
            ("bad wire type", [0x0F]),
            ("no pieces", [0x1A, 0x00]),
        ]
        // Corrupt the precompiled charsmap header (normalizer_spec field 2) to claim a huge trie.
        let at = try #require(Self.charsMapHeaderOffset(good), "the test model has no precompiled charsmap header")
        var bad = good
        bad[at + 3] = 0x7F
        cases.append(("charsmap header", bad))
        for (name, bytes) in cases {
            let path = TokenizerFixtures.directory.appendingPathComponent(
                "native-bad-\(name.replacingOccurrences(of: " ", with: "-")).model"
            ).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                _ = try NativeUnigramEncoder(modelPath: path)
                Issue.record("\(name): loaded without error")
            } catch let e as MoeDataError {
                #expect(e.description.contains(path), "\(name): \(e.description)")
            }
        }
        #expect(throws: MoeDataError.self) { try NativeUnigramEncoder(modelPath: "/nonexistent/x.model") }
    }

    /// Offset of the 4-byte trie-size header inside the precompiled charsmap of a model file.
    static func charsMapHeaderOffset(_ bytes: [UInt8]) -> Int? {
        // Parse top-level fields until normalizer_spec (3), then its field 2.
        func varint(_ i: inout Int) -> Int {
            var v = 0, shift = 0
            while i < bytes.count {
                let b = bytes[i]; i += 1; v |= Int(b & 0x7F) << shift; shift += 7; if b < 0x80 { break }
            }
            return v
        }
        var i = 0
        while i < bytes.count {
            let key = varint(&i)
            guard key & 7 == 2 else {
                if key & 7 == 0 { _ = varint(&i) } else if key & 7 == 5 { i += 4 } else { return nil }; continue
            }
            let len = varint(&i)
            if key >> 3 == 3 {
                var j = i
                while j < i + len {
                    let k = varint(&j)
                    if k & 7 == 2 {
                        let l = varint(&j); if k >> 3 == 2 { return j }; j += l
                    } else if k & 7 == 0 {
                        _ = varint(&j)
                    } else {
                        return nil
                    }
                }
                return nil
            }
            i += len
        }
        return nil
    }
}
