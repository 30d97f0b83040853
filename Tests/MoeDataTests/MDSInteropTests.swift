import Foundation
import JSON
import MDS
import MoeTestSupport
import Testing

@testable import MoeData

/// `tokens/` and `packed/` read by mosaicml-streaming's own `MDSReader`, decompression and hash
/// functions, not by ours: every shard's zstd and raw xxh64 checked, every sample decoded and compared.
@Suite(.serialized) struct MDSInteropTests {
    static let requirements = [
        Python.Requirement("streaming", pip: "--no-deps mosaicml-streaming==0.13.0"),
        Python.Requirement("numpy", pip: "numpy"), Python.Requirement("xxhash", pip: "xxhash==3.8.2"),
        Python.Requirement("zstd", pip: "zstd"), Python.Requirement("filelock", pip: "filelock"),
        Python.Requirement("typing_extensions", pip: "typing_extensions"),
    ]

    /// One line per sample, columns sorted by name: arrays as `name:dtype:v,v,...`, strings, ints, and
    /// JSON as its kind and length; the same shape `expectedLines` makes from our reader.
    static let reader = """
        import json, os, sys, types, importlib.util
        # streaming's package __init__ files pull in torch, cloud SDKs and the writers; none of that is needed to read.
        # Stub what is imported but never called, and load the reader's own modules without their package inits.
        class _Stub: pass
        def stub(name, **attrs):
            m = types.ModuleType(name); m.__path__ = []; m.__dict__.update(attrs); sys.modules[name] = m; return m
        stub("torch", Tensor=_Stub); stub("torch.distributed"); stub("torch.utils")
        stub("torch.utils.data", get_worker_info=lambda: None, Dataset=_Stub, IterableDataset=_Stub, DataLoader=_Stub)
        stub("PIL", Image=stub("PIL.Image", Image=_Stub)); stub("PIL.JpegImagePlugin", JpegImageFile=_Stub)
        stub("brotli"); stub("snappy")
        site = os.path.dirname(os.path.dirname(importlib.util.find_spec("streaming").origin))
        for name in ["streaming", "streaming.base", "streaming.base.format", "streaming.base.format.base",
                     "streaming.base.format.mds"]:
            m = types.ModuleType(name); m.__path__ = [os.path.join(site, *name.split("."))]; sys.modules[name] = m
        import numpy as np
        from streaming.base.format.mds.reader import MDSReader
        from streaming.base.compression import decompress
        from streaming.base.hashing import get_hash

        root, scratch = sys.argv[1], sys.argv[2]
        index = json.load(open(os.path.join(root, "index.json")))
        assert index["version"] == 2, index["version"]
        for obj in index["shards"]:
            raw_info, zip_info = obj["raw_data"], obj["zip_data"]
            if "xxh64" not in obj["hashes"]:
                sys.exit(f"{raw_info['basename']}: no xxh64 hash listed")
            def check(info, data):
                for algo in obj["hashes"]:
                    if get_hash(algo, data) != info["hashes"][algo]:
                        sys.exit(f"{info['basename']}: {algo} hash mismatch")
                if len(data) != info["bytes"]:
                    sys.exit(f"{info['basename']}: {len(data)} bytes, index says {info['bytes']}")
            if zip_info:
                data = open(os.path.join(root, zip_info["basename"]), "rb").read()
                check(zip_info, data)
                raw = decompress(obj["compression"], data)
            else:
                raw = open(os.path.join(root, raw_info["basename"]), "rb").read()
            check(raw_info, raw)
            path = os.path.join(scratch, raw_info["basename"])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "wb").write(raw)
            reader = MDSReader.from_json(scratch, None, obj)
            for i in range(reader.samples):
                sample, cols = reader.get_item(i), []
                for name in sorted(sample):
                    v = sample[name]
                    if isinstance(v, np.ndarray):
                        cols.append(f"{name}:{v.dtype}:" + ",".join(map(str, v.tolist())))
                    elif isinstance(v, str):
                        cols.append(f"{name}:str:{v}")
                    elif isinstance(v, (int, np.integer)):
                        cols.append(f"{name}:int:{int(v)}")
                    else:
                        cols.append(f"{name}:json:{type(v).__name__}:{len(v)}")
                print("\\t".join(cols))
        """

    /// The lines the Python reader prints, made from our own reader (hashes verified there too).
    static func expectedLines(_ dir: URL) throws -> [String] {
        try TestSupport.samples(dir).map { sample in
            sample.keys.sorted().map { name -> String in
                switch sample[name] {
                case .uint32s(let a)?: return "\(name):uint32:" + a.map(String.init).joined(separator: ",")
                case .uint16s(let a)?: return "\(name):uint16:" + a.map(String.init).joined(separator: ",")
                case .uint8s(let a)?: return "\(name):uint8:" + a.map(String.init).joined(separator: ",")
                case .string(let s)?: return "\(name):str:\(s)"
                case .int(let i)?: return "\(name):int:\(i)"
                case .json(let j)?:
                    if let a = j.arrayValue { return "\(name):json:list:\(a.count)" }
                    return "\(name):json:dict:\(j.objectValue?.count ?? -1)"
                default: return "\(name):unexpected"
                }
            }.joined(separator: "\t")
        }
    }

    func readWithStreaming(_ dir: URL) throws -> ChildProcess.Output {
        let scratch = try TestSupport.tempDir("mds-raw")
        defer { try? FileManager.default.removeItem(at: scratch) }
        return try Python.run(Self.reader, [dir.path, scratch.path])
    }

    @Test func tokensAndPackedReadByMosaicmlStreaming() throws {
        if let missing = try Python.missing(Self.requirements) {
            Issue.record(Comment(rawValue: missing))
            return
        }
        let dir = try TestSupport.tempDir("mds-interop")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try BuildTests.sampleManifest(in: dir, shardSize: "256KiB")
        let mixture = try BuildTests.smallMixture(dir)
        let build = try TestSupport.moeData(["build", manifest, "--mixture", mixture, "--quiet"])
        #expect(build.status == 0, "\(build.stderr)")
        for name in ["tokens", "packed"] {
            let data = dir.appendingPathComponent("out/\(name)")
            let r = try readWithStreaming(data)
            #expect(r.status == 0, "\(name): \(r.stderr)")
            let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
            let expected = try Self.expectedLines(data)
            #expect(expected.count > 10)
            #expect(
                lines.count == expected.count,
                "\(name): streaming read \(lines.count) samples, we wrote \(expected.count)")
            #expect(lines == expected, "\(name): samples differ as read by mosaicml-streaming")
        }
        // A flipped byte in a compressed shard is refused by streaming's own hash check.
        let copy = dir.appendingPathComponent("flipped")
        try FileManager.default.copyItem(at: dir.appendingPathComponent("out/packed"), to: copy)
        let index = try JSONValue.parse(Data(contentsOf: copy.appendingPathComponent("index.json")))
        let shard = try #require(index["shards"]?.arrayValue?.first?["zip_data"]?["basename"]?.stringValue)
        var bytes = try Data(contentsOf: copy.appendingPathComponent(shard))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: copy.appendingPathComponent(shard))
        let refused = try readWithStreaming(copy)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("\(shard): xxh64 hash mismatch"), "\(refused.stderr)")
    }
}
