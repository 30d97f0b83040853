import ArgumentParser
import Foundation
import MoeTrain

extension BenchCommand {
    /// `bench rows --data DIR`: the trainer's data path on a build's rows (`RowReadBenchmark`).
    func benchRows(run: Int) throws {
        guard let data else { throw ValidationError(Self.dataRequired) }
        let r = try RowReadBenchmark.run(path: URL(fileURLWithPath: data), rows: rows)
        print(
            String(
                format: "run %d: %@ rows: read %d rows in %.3f s, %.0f rows/s (%.1fM tokens/s); "
                    + "with one-row batches %.0f rows/s (one thread)",
                run, r.layout.rawValue, r.rows, r.readSeconds, r.rowsPerSecond,
                Double(r.tokens) / r.readSeconds / 1e6, r.pathRowsPerSecond))
    }

    static let dataRequired = "bench rows needs --data (a `moe-data build` output folder or its packed/)"
}
