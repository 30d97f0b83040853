/// What Slurm says about one job or one array element, from `squeue`, `sacct` or the job
/// completion log. `id` is `<array job>_<task>` for an array element, else the job's own id.
public struct SlurmJobState: Sendable, Equatable {
    public var id: String
    /// Slurm's state word: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, ...
    public var state: String
    /// Slurm's reason (squeue's %r): Dependency, DependencyNeverSatisfied, NonZeroExitCode, ...; nil when none.
    public var reason: String?
    /// Where the state came from: "squeue", "sacct" or the completion log's path.
    public var origin: String

    /// A state as a Slurm command printed it: sacct writes "CANCELLED by 0" (the state is the first
    /// word), squeue writes the reason "None" for none.
    static func reported(id: String, state: String, reason: String?, origin: String) -> SlurmJobState {
        SlurmJobState(
            id: id, state: state.split(separator: " ").first.map(String.init) ?? state,
            reason: reason.flatMap { $0.isEmpty || $0 == "None" || $0 == "(null)" ? nil : $0 }, origin: origin)
    }

    /// States in which the job still holds, or waits for, resources: it may still run to its end.
    static let activeStates: Set<String> = [
        "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_FED",
        "REQUEUE_HOLD", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "SPECIAL_EXIT", "RESV_DEL_HOLD",
    ]

    /// True while the job may still run. A job pending on a dependency that can never be met
    /// (`afterok` on a job that failed) never will: Slurm keeps it pending unless the cluster sets
    /// `DependencyParameters=kill_invalid_depend`, so it does not count as active.
    public var isActive: Bool { Self.activeStates.contains(state) && !waitsForever }

    /// Pending for ever: its dependency can never be satisfied.
    public var waitsForever: Bool { state == "PENDING" && reason == "DependencyNeverSatisfied" }

    public var isPending: Bool { state == "PENDING" && !waitsForever }
    public var isRunning: Bool { isActive && !isPending }
    public var succeeded: Bool { state == "COMPLETED" }

    /// "RUNNING", "PENDING (Dependency)", "FAILED (NonZeroExitCode)".
    public var text: String { reason.map { "\(state) (\($0))" } ?? state }
}
