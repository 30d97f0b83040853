import CSQLite
import Foundation

/// A small safe wrapper over SQLite's C API: open, execute, prepared statements, transactions.
final class SQLiteDatabase {
    let path: String
    private var db: OpaquePointer?
    /// The private folder of a copy read in place of a catalog whose writer died mid-transaction.
    private var rolledBackCopy: URL?

    /// `readOnly` opens an existing file without writing it (status reads catalogs other processes write).
    /// `rollbackJournal` keeps SQLite's rollback journal instead of WAL: WAL's shared memory works only
    /// between processes of one host, and a task's catalog is read from other hosts while it is written.
    init(path: String, readOnly: Bool = false, rollbackJournal: Bool = false) throws {
        self.path = path
        let mode = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        db = try Self.open(path, mode: mode, named: path)
        if readOnly {
            try readCommittedState()
            return
        }
        // WAL (or the rollback journal) + synchronous=FULL: a committed transaction survives a crash or SIGKILL.
        try execute(rollbackJournal ? "PRAGMA journal_mode=DELETE" : "PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=FULL")
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        sqlite3_close_v2(db)
        if let rolledBackCopy { try? FileManager.default.removeItem(at: rolledBackCopy) }
    }

    private static func open(_ file: String, mode: Int32, named path: String) throws -> OpaquePointer {
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(file, &handle, mode | SQLITE_OPEN_FULLMUTEX, nil)
        guard rc == SQLITE_OK, let handle else {
            let msg = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "error \(rc)"
            sqlite3_close(handle)
            throw MoeDataError("\(path): cannot open the catalog: \(msg)")
        }
        sqlite3_busy_timeout(handle, 10_000)
        return handle
    }

    /// SQLITE_READONLY_ROLLBACK, (SQLITE_READONLY | 3 << 8): a macro Swift does not import.
    private static let readOnlyRollback: Int32 = 776

    /// A writer killed mid-transaction (SIGKILL, scancel, a lost node) leaves a hot rollback journal,
    /// which only a connection that may write can roll back: a read-only one fails with
    /// SQLITE_READONLY_ROLLBACK at its first read. Status must not write another process's catalog,
    /// so the file and its journal are copied to a private folder, and SQLite rolls the copy back to
    /// the last committed transaction. (A journal is hot only when no live writer holds its lock.)
    private func readCommittedState() throws {
        let files = FileManager.default
        // A process that resumes the task may roll the journal back (and delete it) while it is
        // copied: the original is then read again.
        for _ in 0..<3 {
            guard sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nil, nil, nil) != SQLITE_OK,
                sqlite3_extended_errcode(db) == Self.readOnlyRollback
            else { return }
            let folder = files.temporaryDirectory.appendingPathComponent("moe-data-catalog-\(UUID().uuidString)")
            let copy = folder.appendingPathComponent("catalog.sqlite").path
            do {
                try files.createDirectory(at: folder, withIntermediateDirectories: true)
                try files.copyItem(atPath: path, toPath: copy)
                try files.copyItem(atPath: path + "-journal", toPath: copy + "-journal")
            } catch {
                try? files.removeItem(at: folder)
                sqlite3_close_v2(db)
                db = try Self.open(path, mode: SQLITE_OPEN_READONLY, named: path)
                continue
            }
            rolledBackCopy = folder
            sqlite3_close_v2(db)
            db = try Self.open(copy, mode: SQLITE_OPEN_READWRITE, named: path)
            try execute("SELECT count(*) FROM sqlite_master")
            return
        }
        throw error("read (its writer died mid-transaction, and its journal could not be copied to roll back)")
    }

    func error(_ what: String) -> MoeDataError {
        MoeDataError("\(path): catalog \(what) failed: \(String(cString: sqlite3_errmsg(db)))")
    }

    func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(db, sql, nil, nil, &err) != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(err)
            throw MoeDataError("\(path): catalog statement failed: \(msg) [\(sql.prefix(80))]")
        }
    }

    /// Runs `body` in one transaction: all of it is committed, or none of it.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    func prepare(_ sql: String) throws -> SQLiteStatement {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else { throw error("prepare") }
        return SQLiteStatement(db: self, stmt: stmt)
    }

    /// Executes a statement with bound values.
    func run(_ sql: String, _ values: [SQLiteValue?] = []) throws {
        let s = try prepare(sql)
        try s.bind(values)
        while try s.step() {}
    }

    /// Returns all rows of a query.
    func query(_ sql: String, _ values: [SQLiteValue?] = []) throws -> [[SQLiteValue?]] {
        let s = try prepare(sql)
        try s.bind(values)
        var rows: [[SQLiteValue?]] = []
        while try s.step() { rows.append(s.row()) }
        return rows
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(db) }
}

enum SQLiteValue: Equatable, Sendable {
    case int(Int64)
    case double(Double)
    case text(String)

    var int: Int {
        if case .int(let i) = self { return Int(i) }; if case .double(let d) = self { return Int(d) }; return 0
    }
    var double: Double {
        if case .double(let d) = self { return d }; if case .int(let i) = self { return Double(i) }; return 0
    }
    var text: String {
        switch self {
        case .text(let s): return s;
        case .int(let i): return String(i);
        case .double(let d): return String(d)
        }
    }
}

extension Int: SQLiteConvertible { var sqliteValue: SQLiteValue { .int(Int64(self)) } }
extension Double: SQLiteConvertible { var sqliteValue: SQLiteValue { .double(self) } }
extension String: SQLiteConvertible { var sqliteValue: SQLiteValue { .text(self) } }
protocol SQLiteConvertible { var sqliteValue: SQLiteValue { get } }

func sql(_ v: (any SQLiteConvertible)?) -> SQLiteValue? { v?.sqliteValue }

private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

final class SQLiteStatement {
    let db: SQLiteDatabase
    let stmt: OpaquePointer

    init(db: SQLiteDatabase, stmt: OpaquePointer) {
        self.db = db
        self.stmt = stmt
    }

    deinit { sqlite3_finalize(stmt) }

    func bind(_ values: [SQLiteValue?]) throws {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        for (i, v) in values.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch v {
            case .none: rc = sqlite3_bind_null(stmt, idx)
            case .int(let x): rc = sqlite3_bind_int64(stmt, idx, x)
            case .double(let x): rc = sqlite3_bind_double(stmt, idx, x)
            case .text(let s): rc = sqlite3_bind_text(stmt, idx, s, -1, SQLITE_TRANSIENT)
            }
            if rc != SQLITE_OK { throw db.error("bind") }
        }
    }

    /// true while a row is available.
    func step() throws -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw db.error("step")
    }

    func row() -> [SQLiteValue?] {
        (0..<sqlite3_column_count(stmt)).map { i in
            switch sqlite3_column_type(stmt, i) {
            case SQLITE_INTEGER: return .int(sqlite3_column_int64(stmt, i))
            case SQLITE_FLOAT: return .double(sqlite3_column_double(stmt, i))
            case SQLITE_NULL: return nil
            default: return .text(String(cString: sqlite3_column_text(stmt, i)))
            }
        }
    }
}
