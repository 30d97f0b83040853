import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MoeData

/// `export megatron` read back by megatron-core's own `IndexedDataset` and blend parser (the pip
/// package, imported without torch): every source's sequences and document boundaries equal its
/// token shards plus EOS, each causal phase's rows dataset equals its packed rows, and each phase's
/// `--data-path` weights equal the plan's target shares.
@Suite(.serialized) struct MegatronExportTests {
    static let requirements = [
        Python.Requirement("megatron", pip: "--no-deps megatron-core==0.16.1"),
        Python.Requirement("numpy", pip: "numpy"),
    ]

    /// Loads megatron-core's `indexed_dataset` and `utils` modules from the installed package
    /// without its package `__init__` files (they import torch and the training stack): `torch`,
    /// the object-storage helpers and the logging helper are stubs, never called when reading
    /// local files. Prints one JSON line: each prefix's dtype, sequences and document indices, and
    /// each `--data-path` file parsed by Megatron's own `get_blend_from_list`.
    static let reader = """
        import importlib.util, json, os, sys, types
        site = importlib.util.find_spec("megatron").submodule_search_locations[0]
        def stub(name, **attrs):
            m = types.ModuleType(name); m.__dict__.update(attrs); sys.modules[name] = m; return m
        class _Stub: pass
        stub("torch", Tensor=_Stub, utils=stub("torch.utils", data=stub("torch.utils.data", Dataset=_Stub)))
        for name in ["megatron", "megatron.core", "megatron.core.datasets"]:
            stub(name, __path__=[])
        stub("megatron.core.datasets.object_storage_utils", S3Config=_Stub, ObjectStorageConfig=_Stub,
             cache_index_file=None, dataset_exists=None, get_index_cache_path=None, get_object_storage_access=None,
             is_object_storage_path=lambda path: False, parse_s3_path=None)
        disabled = type("F", (), {"is_enabled": staticmethod(lambda: False)})
        stub("megatron.core.msc_utils", MultiStorageClientFeature=disabled)
        stub("megatron.core.utils", log_single_rank=lambda *args, **kwargs: None)
        def load(name, file):
            spec = importlib.util.spec_from_file_location(name, os.path.join(site, "core", "datasets", file))
            module = importlib.util.module_from_spec(spec); sys.modules[name] = module; spec.loader.exec_module(module)
            return module
        indexed = load("megatron.core.datasets.indexed_dataset", "indexed_dataset.py")
        utils = load("megatron.core.datasets.utils", "utils.py")
        prefixes, data_paths = sys.argv[1].split(","), sys.argv[2].split(",") if sys.argv[2] else []
        out = {"datasets": {}, "blends": {}}
        for prefix in prefixes:
            ds = indexed.IndexedDataset(prefix, multimodal=False, mmap=True)
            out["datasets"][prefix] = {
                "dtype": ds.index.dtype.__name__,
                "sequences": [ds[i].tolist() for i in range(len(ds))],
                "document_indices": ds.document_indices.tolist(),
            }
        for path in data_paths:
            words = open(path).read().split()
            names, weights = utils.get_blend_from_list(words)
            raw = [float(w) for w in words[0::2]]
            out["blends"][path] = {"prefixes": names, "weights": utils.normalize(weights), "raw": raw}
        print(json.dumps(out))
        """

    static func read(prefixes: [String], dataPaths: [String]) throws -> JSONValue {
        try ExportFixtures.python(reader, [prefixes.joined(separator: ","), dataPaths.joined(separator: ",")])
    }

    static func ints(_ value: JSONValue?) -> [Int] { value?.arrayValue?.compactMap { $0.intValue.map(Int.init) } ?? [] }

    @Test func sourcesRowsAndBlendsReadByMegatronCore() throws {
        if try ExportFixtures.missing(Self.requirements) { return }
        let out = try ExportFixtures.built()
        let dir = try TestSupport.tempDir("export-megatron")
        defer { try? FileManager.default.removeItem(at: dir) }
        let to = dir.appendingPathComponent("megatron")
        let r = try TestSupport.moeData(["export", "megatron", out.path, "--to", to.path])
        #expect(r.status == 0, "\(r.stderr)")
        let plan = try ExportFixtures.plan(out)
        let sources = ExportFixtures.sources
        let phases = ["ul2", "lm"]
        let read = try Self.read(
            prefixes: sources.map { to.appendingPathComponent($0).path } + [to.appendingPathComponent("rows/lm").path],
            dataPaths: phases.map { to.appendingPathComponent("\($0).data-path.txt").path })
        for source in sources {
            let dataset = read["datasets"]?[to.appendingPathComponent(source).path]
            let docs = try ExportFixtures.documents(out, source: source)
            #expect(docs.count >= 3)
            #expect(
                dataset?["dtype"]?.stringValue == "uint16", "\(source): the sample's 1,000-id vocabulary fits uint16")
            let sequences = dataset?["sequences"]?.arrayValue?.map(Self.ints) ?? []
            #expect(sequences == docs.map { $0.tokens.map(Int.init) + [Int(ExportFixtures.eos)] }, "\(source)")
            #expect(Self.ints(dataset?["document_indices"]) == Array(0...docs.count), "\(source)")
        }
        // The causal phase's rows, one sequence (and document) each, in row order, padding included.
        let rows = try ExportFixtures.rows(out, phase: 1)
        #expect(rows.count > 3)
        let rowsDataset = read["datasets"]?[to.appendingPathComponent("rows/lm").path]
        #expect(rowsDataset?["sequences"]?.arrayValue?.map(Self.ints) == rows.map { $0.tokens.map(Int.init) })
        #expect(Self.ints(rowsDataset?["document_indices"]) == Array(0...rows.count))
        #expect(!FileManager.default.fileExists(atPath: to.appendingPathComponent("rows/ul2.bin").path))
        // Each phase's weights, as Megatron parses them, are the plan's target shares.
        for phase in phases {
            let blend = read["blends"]?[to.appendingPathComponent("\(phase).data-path.txt").path]
            let targets = try #require(plan[phase])
            let total = Double(targets.values.reduce(0, +))
            let prefixes = blend?["prefixes"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let raw = blend?["raw"]?.arrayValue?.compactMap(Self.double) ?? []
            let drawn = targets.filter { $0.value > 0 }
            #expect(Set(prefixes) == Set(drawn.keys.map { to.appendingPathComponent($0).path }), "\(phase)")
            for (prefix, weight) in zip(prefixes, raw) {
                let source = (prefix as NSString).lastPathComponent
                #expect(
                    weight == Double(targets[source] ?? -1) / total, "\(phase) \(source): weight differs from the plan")
            }
            let json = try JSONValue.parse(Data(contentsOf: to.appendingPathComponent("\(phase).blend.json")))
            let text = try String(contentsOf: to.appendingPathComponent("\(phase).data-path.txt"), encoding: .utf8)
            #expect(json["data_path"]?.stringValue.map { $0 + "\n" } == text)
            #expect(r.stdout.contains("phase \(phase): --data-path \(json["data_path"]?.stringValue ?? "?")"))
        }
    }

    static func double(_ value: JSONValue) -> Double? {
        switch value {
        case .double(let d): d
        case .int(let i): Double(i)
        default: nil
        }
    }

    /// Vocabularies over 65,536 ids take int32 tokens (dtype code 4), read back by megatron-core.
    @Test func largeVocabularyWritesInt32() throws {
        if try ExportFixtures.missing(Self.requirements) { return }
        let dir = try TestSupport.tempDir("export-int32")
        defer { try? FileManager.default.removeItem(at: dir) }
        let prefix = dir.appendingPathComponent("wide")
        let type = IndexedDatasetWriter.TokenType(paddedVocabSize: 256_384)
        #expect(type == .int32 && IndexedDatasetWriter.TokenType(paddedVocabSize: 65_536) == .uint16)
        let writer = try IndexedDatasetWriter(prefix: prefix, tokenType: type)
        let documents: [[UInt32]] = [[70_000, 256_299, 5], [65_536], [1, 2, 3, 4]]
        for document in documents {
            try writer.addSequence(document[...], then: 1)
            try writer.endDocument()
        }
        try writer.finish()
        let dataset = try Self.read(prefixes: [prefix.path], dataPaths: [])["datasets"]?[prefix.path]
        #expect(dataset?["dtype"]?.stringValue == "int32")
        #expect(dataset?["sequences"]?.arrayValue?.map(Self.ints) == documents.map { $0.map(Int.init) + [1] })
        #expect(Self.ints(dataset?["document_indices"]) == [0, 1, 2, 3])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(leftovers == ["wide.bin", "wide.idx"])
    }

    /// The README's `--data-path` line of the built-in sample is what the export prints for it.
    @Test func readmeDataPathLineIsTheSamplesExport() throws {
        let out = try ReadmeFiguresTests.build.get()
        let dir = try TestSupport.tempDir("export-readme")
        defer { try? FileManager.default.removeItem(at: dir) }
        let to = dir.appendingPathComponent("megatron")
        let r = try TestSupport.moeData(["export", "megatron", out.path, "--to", to.path, "--phase", "v2-causal"])
        #expect(r.status == 0, "\(r.stderr)")
        let printed = try String(contentsOf: to.appendingPathComponent("v2-causal.data-path.txt"), encoding: .utf8)
        // The README's block: "--data-path w1 $PWD/out/megatron/s1 ..." over indented lines, $PWD spelled out.
        let readme = ReadmeFiguresTests.readme
        let start = try #require(readme.range(of: "  --data-path "))
        let end = try #require(readme.range(of: "  ```", range: start.upperBound..<readme.endIndex))
        let words = readme[start.upperBound..<end.lowerBound].split(whereSeparator: \.isWhitespace)
        let expected = printed.split(whereSeparator: \.isWhitespace).map {
            $0.replacingOccurrences(of: to.path, with: "$PWD/out/megatron")
        }
        #expect(words.map(String.init) == expected, "the README's --data-path line is not the sample's")
    }
}
