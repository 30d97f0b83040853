import Foundation

/// Slurm's `jobcomp/filetxt` completion log: one line per finished job, `Key=value` fields separated
/// by spaces (`JobId=1 ... JobState=FAILED ... WorkDir=/a b ... ArrayJobId=1 ArrayTaskId=3 ...`).
/// A value may hold spaces (WorkDir), so fields are found by their ` Key=` rather than by splitting.
enum SlurmCompletionLog {
    /// Bytes read from the end of the log: the jobs of one run are recent; the log of a busy
    /// cluster grows without end.
    static let tailBytes = 16 << 20

    static func tail(path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return nil }
        let start = size > UInt64(tailBytes) ? size - UInt64(tailBytes) : 0
        guard (try? handle.seek(toOffset: start)) != nil, let data = try? handle.readToEnd() else { return nil }
        var text = String(decoding: data, as: UTF8.self)
        // A read that starts mid-file starts mid-line: drop that partial line.
        if start > 0, let newline = text.firstIndex(of: "\n") { text = String(text[text.index(after: newline)...]) }
        return text
    }

    /// States of the jobs whose id (or array job id) is in `jobs`; a later line wins (a requeued job).
    static func states(_ text: String, jobs: Set<String>, origin: String) -> [SlurmJobState] {
        var states: [String: SlurmJobState] = [:]
        for line in text.split(separator: "\n") {
            let line = " " + line
            guard let jobID = field("JobId", in: line), let state = field("JobState", in: line) else { continue }
            let arrayJob = field("ArrayJobId", in: line, last: true)
            let arrayTask = field("ArrayTaskId", in: line, last: true)
            let id: String
            if let arrayJob, let arrayTask, arrayJob.allSatisfy(\.isNumber), arrayTask.allSatisfy(\.isNumber) {
                guard jobs.contains(arrayJob) else { continue }
                id = "\(arrayJob)_\(arrayTask)"
            } else {
                guard jobs.contains(jobID) else { continue }
                id = jobID
            }
            states[id] = SlurmJobState.reported(id: id, state: state, reason: nil, origin: origin)
        }
        return Array(states.values)
    }

    /// The value of ` key=` (up to the next space): the first such field, or the last one.
    static func field(_ key: String, in line: String, last: Bool = false) -> String? {
        guard let range = line.range(of: " \(key)=", options: last ? .backwards : []) else { return nil }
        let value = line[range.upperBound...].prefix { $0 != " " }
        return value.isEmpty ? nil : String(value)
    }
}
