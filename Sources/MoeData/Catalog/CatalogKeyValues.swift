/// The catalog's `kv` table: settings the output was made with, and the state of runs (build
/// checkpoint, Slurm submissions, a task's progress).
extension Catalog {
    public func value(_ key: String) throws -> String? {
        try db.query("SELECT value FROM kv WHERE key = ?", [.text(key)]).first?.first??.text
    }

    public func setValue(_ key: String, _ value: String) throws {
        try db.run(
            "INSERT INTO kv(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [.text(key), .text(value)])
    }

    public func deleteValue(_ key: String) throws {
        try db.run("DELETE FROM kv WHERE key = ?", [.text(key)])
    }
}
