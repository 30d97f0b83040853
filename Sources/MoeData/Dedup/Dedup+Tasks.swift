import Foundation

/// The dedup stage split into tasks like ingest: `--task I --tasks N` runs the first pass of the
/// I-th range of every source's documents into `work/task-I-of-N/` (reading the catalog, writing
/// nothing else), and a plain run joins the N tasks' files, in task order, into the files one process
/// writes, then sorts and clusters them as always: the removals are those of one process.
extension Dedup {
    /// Runs one task's first pass; returns what it did, for the command to print.
    public func runTask(_ task: DedupTask, catalog: Catalog) throws -> String {
        try FaultPoint.checkSetting()
        let digest = try digest(catalog: catalog)
        let evaluation = try spec.decontaminate.map(EvaluationNgrams.init)
        let taskLayout = DedupLayout(outputDirectory: manifest.output, task: task)
        try firstPass(layout: taskLayout, sources: ranked, evaluation: evaluation, digest: digest)
        return "dedup \(task.name): done; run `moe-data dedup` without --task once every task is done\n"
    }

    /// Joins the files of `count` finished tasks into the shared work folder, source by source, then
    /// removes the tasks' folders. A source joined before (its `.done` holds `digest`) is left alone.
    func joinTasks(_ count: Int, sources: [SourceSpec], digest: String) throws {
        let tasks = try (0..<count).map { try DedupTask(index: $0, count: count) }
        let shared = DedupSourcePass(spec: spec, layout: layout, minHasher: nil, evaluation: nil, jobs: 1)
        for source in sources where !shared.isDone(source.name, digest: digest) {
            let layouts = tasks.map { DedupLayout(outputDirectory: manifest.output, task: $0) }
            for (task, taskLayout) in zip(tasks, layouts) {
                let done = DedupSourcePass(spec: spec, layout: taskLayout, minHasher: nil, evaluation: nil, jobs: 1)
                guard done.isDone(source.name, digest: digest) else {
                    throw MoeDataError(
                        "dedup \(task.name) has not finished source '\(source.name)' with these settings; run "
                            + "`moe-data dedup \(manifest.path) --task \(task.index) --tasks \(count)` first")
                }
            }
            try join(source.name, from: layouts)
            try Data(digest.utf8).write(to: layout.workFile(source.name, "done"), options: .atomic)
        }
        for task in tasks {
            try? FileManager.default.removeItem(at: DedupLayout(outputDirectory: manifest.output, task: task).work)
        }
    }

    /// Concatenates one source's work files of the tasks; the id ends of `.documents` move by the ids
    /// of the tasks before.
    private func join(_ source: String, from layouts: [DedupLayout]) throws {
        try FileManager.default.createDirectory(at: layout.work, withIntermediateDirectories: true)
        for kind in ["ids", "exact", "signatures", "bands", "contamination"] {
            guard FileManager.default.fileExists(atPath: layouts[0].workFile(source, kind).path) else { continue }
            let writer = try RecordFileWriter(url: layout.workFile(source, kind))
            for taskLayout in layouts {
                guard let bytes = FileManager.default.contents(atPath: taskLayout.workFile(source, kind).path) else {
                    throw MoeDataError("\(taskLayout.workFile(source, kind).path): missing; run its task again")
                }
                try writer.append(bytes)
            }
            try writer.close()
        }
        let documents = try RecordFileWriter(url: layout.workFile(source, "documents"))
        var idsBefore: UInt64 = 0
        for taskLayout in layouts {
            let reader = try RecordFileReader(
                url: taskLayout.workFile(source, "documents"), recordSize: DedupLayout.documentRecordSize)
            var idEnd: UInt64 = 0
            while let record = try reader.next() {
                idEnd = record.bigEndianUInt64(at: 0)
                try documents.append(bigEndian: idsBefore + idEnd)
                try documents.append(bigEndian: record.bigEndianUInt64(at: 8))
            }
            let size = try FileManager.default.attributesOfItem(atPath: taskLayout.workFile(source, "ids").path)[.size]
            idsBefore += UInt64((size as? Int) ?? Int(idEnd))
        }
        try documents.close()
    }
}
