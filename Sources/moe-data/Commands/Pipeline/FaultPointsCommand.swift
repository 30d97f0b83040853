import ArgumentParser
import MoeData

/// Lists the named fault points, so tests read them from the binary instead of keeping a copy.
struct FaultPointsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fault-points",
        abstract: "List the steps where MOE_DATA_FAULT can stop a run (for crash tests).",
        discussion: """
            Set MOE_DATA_FAULT=<point>[:<n>][:exit|error|stop] to act on the n-th time (default 1) \
            a run reaches <point>: exit kills it with SIGKILL (default), error fails as a full disk \
            would, stop sends SIGSTOP. Rerunning the same command must then resume to the same bytes.

            Example:
              MOE_DATA_FAULT=ingest.shard.committed:2 moe-data ingest manifests/sample.yaml
            """
    )

    func run() {
        for point in FaultPoint.allCases {
            print("\(point.rawValue)\t\(point.summary)")
        }
    }
}
