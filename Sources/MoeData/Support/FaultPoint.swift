import Foundation

/// Named steps of the write path where a test can stop the process on purpose, so that crash
/// and resume are tested at every step rather than at whatever moment a timer happens to hit.
///
/// `MOE_DATA_FAULT=<point>[:<n>][:<action>]` acts on the n-th time (default 1) the process reaches
/// `<point>`. Actions: `exit` (default) kills the process with SIGKILL, as a crash or the OOM killer
/// would, with no cleanup; `error` throws as a full disk would; `stop` sends SIGSTOP, so a test can
/// hold the process at that step (and see, say, what a second writer gets) and then kill or continue it.
/// Unset, a hit costs one load of a cached value.
public enum FaultPoint: String, CaseIterable, Sendable {
    // Shard writing (the MDS writer, in both commands): bytes in a temporary file, then renamed.
    case tokenShardTemporary = "ingest.shard.temporary"
    /// Ingest: an MDS token shard is on disk, its catalog transaction not yet committed.
    case tokenShardWritten = "ingest.shard.written"
    /// Ingest: inside the catalog transaction that commits a token shard, its row written, not committed.
    case tokenShardRecording = "ingest.shard.recording"
    /// Ingest: the catalog committed a token shard with the skips, files and cursor before it.
    case tokenShardCommitted = "ingest.shard.committed"
    case tokenIndexWritten = "ingest.index.written"
    case tokenSourceDone = "ingest.source.done"
    case tokenTopIndexWritten = "ingest.top-index.written"
    case packedShardTemporary = "build.shard.temporary"
    case packedShardWritten = "build.shard.written"
    case packedShardCommitted = "build.shard.committed"
    // The end of a build, in order.
    case packedLastShardWritten = "build.last-shard.written"
    case packedFinalCommitted = "build.final.committed"
    case packedIndexWritten = "build.index.written"
    case packedMetadataWritten = "build.metadata.written"
    case packedSwapped = "build.packed.swapped"
    case packedOldRemoved = "build.old.removed"
    // Exports (`moe-data export`), once per dataset or file.
    case exportFileWritten = "export.file.written"
    case exportProgressRecorded = "export.progress.recorded"
    // The dedup stage, once per source whose first pass is on disk.
    case dedupSourceDone = "dedup.source.done"

    /// What each point is, for `moe-data fault-points`.
    public var summary: String {
        switch self {
        case .tokenShardTemporary: "ingest: a token shard's bytes are in its temporary file, not yet renamed"
        case .tokenShardWritten: "ingest: a token shard is on disk, its catalog transaction not yet committed"
        case .tokenShardRecording:
            "ingest: the transaction that commits a token shard has written its row, not yet committed"
        case .tokenShardCommitted: "ingest: the catalog committed a token shard and the cursor after it"
        case .tokenIndexWritten: "ingest: a source's index.json is written, the source not yet marked done"
        case .tokenSourceDone: "ingest: the catalog marked a source done"
        case .tokenTopIndexWritten: "ingest: tokens/index.json (all sources) is written"
        case .packedShardTemporary: "build: a packed shard's bytes are in its temporary file, not yet renamed"
        case .packedShardWritten:
            "build: a packed shard is on disk in packed.partial/, its checkpoint not yet committed"
        case .packedShardCommitted: "build: the catalog committed a packed shard with the checkpoint after it"
        case .packedLastShardWritten: "build: the last (partial) packed shard is on disk, not yet committed"
        case .packedFinalCommitted: "build: one transaction committed the last shard, summary, accounting and done"
        case .packedIndexWritten: "build: packed.partial/index.json is written from the catalog"
        case .packedMetadataWritten: "build: packed.partial/moe-data.json is written from the catalog"
        case .packedSwapped: "build: packed.partial/ and packed/ are exchanged, the old rows not yet removed"
        case .packedOldRemoved: "build: the previous packed rows are removed"
        case .exportFileWritten: "export: a dataset's or file's bytes have their final names, not yet recorded as done"
        case .exportProgressRecorded: "export: the progress file records one more finished dataset or file"
        case .dedupSourceDone: "dedup: a source's signatures and records are on disk, marked done"
        }
    }

    /// Refuses a `MOE_DATA_FAULT` that does not parse, before a run writes anything.
    public static func checkSetting() throws {
        _ = try FaultPlan.current
    }

    /// Marks that the process reached this point; acts if `MOE_DATA_FAULT` names it and this is its n-th hit.
    public func reached() throws {
        guard let plan = try FaultPlan.current, plan.point == self else { return }
        guard FaultPlan.count() == plan.hit else { return }
        switch plan.action {
        case .exit:
            let line = "moe-data: fault point \(rawValue) (hit \(plan.hit)): killing the process\n"
            FileHandle.standardError.write(Data(line.utf8))
            kill(getpid(), SIGKILL)
        case .stop:
            FileHandle.standardError.write(Data("moe-data: fault point \(rawValue) (hit \(plan.hit)): stopped\n".utf8))
            kill(getpid(), SIGSTOP)
        case .error:
            throw MoeDataError(
                "fault point \(rawValue) (hit \(plan.hit)): simulated write failure (No space left on device)")
        }
    }
}

/// The parsed `MOE_DATA_FAULT` setting.
struct FaultPlan: Sendable {
    enum Action: String, Sendable { case exit, error, stop }
    let point: FaultPoint
    let hit: Int
    let action: Action

    static let variable = "MOE_DATA_FAULT"

    /// nil when the variable is unset; an error naming the variable when it does not parse.
    static var current: FaultPlan? {
        get throws {
            switch parsed {
            case .success(let plan): return plan
            case .failure(let error): throw error
            }
        }
    }

    private static let parsed: Result<FaultPlan?, MoeDataError> = {
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return .success(nil) }
        return Result { try parse(text) }.mapError { $0 as? MoeDataError ?? MoeDataError("\($0)") }
    }()

    static func parse(_ text: String) throws -> FaultPlan {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let point = FaultPoint(rawValue: parts[0]) else {
            let known = FaultPoint.allCases.map(\.rawValue).joined(separator: ", ")
            throw MoeDataError("\(variable)=\(text): unknown fault point '\(parts[0])' (known: \(known))")
        }
        var hit = 1
        var action = Action.exit
        for part in parts.dropFirst() {
            if let n = Int(part), n >= 1 {
                hit = n
            } else if let a = Action(rawValue: part) {
                action = a
            } else {
                throw MoeDataError(
                    "\(variable)=\(text): '\(part)' is neither a hit count (1, 2, ...) "
                        + "nor an action (exit, error, stop)")
            }
        }
        return FaultPlan(point: point, hit: hit, action: action)
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var hits = 0

    /// Counts a hit of the configured point and returns how many there have been.
    static func count() -> Int {
        lock.lock()
        defer { lock.unlock() }
        hits += 1
        return hits
    }
}
