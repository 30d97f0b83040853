import FileSupport
import Foundation
import JSON

/// The folder an export writes (`--to DIR`), and how a rerun finds it.
///
/// An export is cut into units (a dataset, a memmap file), each written under temporary names and
/// renamed when whole. `.moe-data-export.progress.json` lists the finished units with the state
/// the next one starts from, so a killed export resumes after its last finished unit and writes
/// the same bytes. At the end, `moe-data-export.json` lists every file and replaces the progress
/// file; an export folder that has it is complete, and is only overwritten with `--force`.
final class ExportFolder {
    static let markerFile = "moe-data-export.json"
    static let progressFile = ".moe-data-export.progress.json"

    let url: URL
    /// What was exported from which build with which options: a progress file made under another
    /// signature is not resumed.
    let signature: String
    /// The finished units and their recorded state, in the order they finished.
    private(set) var finished: [(unit: String, state: JSONValue)] = []

    /// Opens `path` for an export with `signature`: creates it, resumes an unfinished export with the
    /// same signature, or refuses what it must not overwrite (everything without `force`, and
    /// always a folder that holds files no export made).
    init(_ path: String, signature: String, force: Bool) throws {
        url = URL(fileURLWithPath: path).standardizedFileURL
        self.signature = signature
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue {
            throw MoeDataError("\(path): a file is in the way; --to must name a folder (new or empty)")
        }
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw MoeDataError(FileErrors.describe(error) ?? "\(path): cannot create the folder (\(error))")
        }
        try removePartialFiles()
        let marker = url.appendingPathComponent(ExportFolder.markerFile)
        let progress = url.appendingPathComponent(ExportFolder.progressFile)
        if let complete = try ExportFolder.readJSON(marker) {
            guard force else {
                throw MoeDataError(
                    "\(path) already holds a finished export (\(ExportFolder.markerFile)); add --force to overwrite "
                        + "it, or export to another folder")
            }
            try remove(listedIn: complete)
            try FileManager.default.removeItem(at: marker)
        }
        if let unfinished = try ExportFolder.readJSON(progress) {
            if unfinished["signature"]?.stringValue == signature {
                // Files of the unit that was being written when the run stopped are rewritten.
                finished = (unfinished["finished"]?.arrayValue ?? []).compactMap { entry in
                    guard let unit = entry["unit"]?.stringValue, let state = entry["state"] else { return nil }
                    return (unit, state)
                }
                return
            }
            guard force else {
                throw MoeDataError(
                    "\(path) holds an unfinished export of another build or with other options "
                        + "(\(ExportFolder.progressFile)); add --force to start it over")
            }
            try remove(listedIn: unfinished)
        }
        let others = try ownFiles()
        if !others.isEmpty {
            throw MoeDataError(
                "\(path) is not empty and its files (\(others.prefix(3).joined(separator: ", "))) were not written by "
                    + "an export; export to a new or empty folder")
        }
        // Recorded before the first file is written, so that a run killed at any moment resumes.
        try writeProgress()
    }

    /// The recorded state of `unit`, nil when it is not finished.
    func state(of unit: String) -> JSONValue? { finished.first { $0.unit == unit }?.state }

    /// The files of the finished units, relative to the folder.
    var finishedFiles: [String] {
        finished.flatMap { $0.state["files"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    }

    /// Records `unit` as finished; `state` lists its `files` and whatever the next unit starts from.
    func record(_ unit: String, state: JSONValue) throws {
        try FaultPoint.exportFileWritten.reached()
        finished.append((unit, state))
        try writeProgress()
        try FaultPoint.exportProgressRecorded.reached()
    }

    /// Writes the completion marker (`summary` plus every finished file) and drops the progress file.
    func complete(summary: [String: JSONValue]) throws {
        var fields = summary
        fields["files"] = .array(finishedFiles.sorted().map { .string($0) })
        let marker = url.appendingPathComponent(ExportFolder.markerFile)
        try AtomicFile.write(Array((JSONValue.object(fields).encoded() + "\n").utf8), to: marker)
        try? FileManager.default.removeItem(at: url.appendingPathComponent(ExportFolder.progressFile))
    }

    /// A subfolder of the export, created when missing.
    func folder(_ name: String) throws -> URL {
        let sub = url.appendingPathComponent(name)
        do { try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true) } catch {
            throw MoeDataError(FileErrors.describe(error) ?? "\(sub.path): cannot create the folder (\(error))")
        }
        return sub
    }

    private func writeProgress() throws {
        let json = JSONValue.object([
            "signature": .string(signature),
            "finished": .array(finished.map { .object(["unit": .string($0.unit), "state": $0.state]) }),
        ])
        try AtomicFile.write(Array(json.encoded().utf8), to: url.appendingPathComponent(ExportFolder.progressFile))
    }

    private static func readJSON(_ file: URL) throws -> JSONValue? {
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        do { return try JSONValue.parse(data) } catch {
            throw MoeDataError("\(file.path): not readable as an export's state (\(error)); remove it to start over")
        }
    }

    /// Removes the files a marker or progress file lists (relative paths inside the folder only).
    private func remove(listedIn json: JSONValue) throws {
        var files = json["files"]?.arrayValue?.compactMap(\.stringValue) ?? []
        for entry in json["finished"]?.arrayValue ?? [] {
            files += entry["state"]?["files"]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        for file in files where !file.hasPrefix("/") && !file.split(separator: "/").contains("..") {
            try? FileManager.default.removeItem(at: url.appendingPathComponent(file))
        }
    }

    /// Regular files under the folder (relative paths), the export's own state files left out.
    private func ownFiles() throws -> [String] {
        let skip: Set<String> = [ExportFolder.markerFile, ExportFolder.progressFile]
        var out: [String] = []
        guard let walker = FileManager.default.enumerator(atPath: url.path) else { return [] }
        while let relative = walker.nextObject() as? String {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(
                atPath: url.appendingPathComponent(relative).path, isDirectory: &isFolder)
            if exists && !isFolder.boolValue && !skip.contains(relative) { out.append(relative) }
        }
        return out.sorted()
    }

    /// Temporary files of a killed run (`ExportFile`'s `.<name>.partial`): never part of an export.
    private func removePartialFiles() throws {
        guard let walker = FileManager.default.enumerator(atPath: url.path) else { return }
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") && name.hasSuffix(".partial") {
                try? FileManager.default.removeItem(at: url.appendingPathComponent(relative))
            }
        }
    }
}
