import FilegateCore
import GRDB

/// The local backend's SQLite metadata: live files and the tombstones of deleted ones.
///
/// Every query goes through GRDB's async `read`/`write`, which run on GRDB's own queues, never on the cooperative
/// pool. A file whose `expires_at` has passed is invisible here before the sweeper removes its row.
///
/// Statements run per request are prepared once per connection (`cachedStatement`, a few distinct texts): preparing
/// one per retrieval, parsed and authorized anew, took half the database threads' CPU of a small GET (148-166 -> 71-81
/// us, wrk -c64).
struct MetadataStore: Sendable {
    private let database: DatabasePool

    /// Rows the sweeper removes per transaction, so a large backlog never holds the writer long.
    static let sweepBatchSize = 500

    /// Opens (creating if needed) the database at `path` and migrates it; the blocking open runs on `io`'s pool.
    static func open(path: String, io: BlockingIO) async throws -> MetadataStore {
        let database = try await io.run {
            var configuration = Configuration()
            // A create answers only once its row is durable: FULL syncs the WAL on every commit.
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            let database = try DatabasePool(path: path, configuration: configuration)
            try Migrations.migrator.migrate(database)
            return database
        }
        return MetadataStore(database: database)
    }

    func insert(_ file: StoredFile) async throws {
        try await database.write { db in
            try file.insert(db)
        }
    }

    /// The file named `id`, unless it is unknown or expired at `now`.
    func file(id: String, now: Int64) async throws -> StoredFile? {
        try await database.read { db in
            try StoredFile.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM file WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)"),
                arguments: [id, now]
            )
        }
    }

    /// Every id with a row, expired or not: what the content directory may hold.
    func allIDs() async throws -> Set<String> {
        try await database.read { db in
            try Set(String.fetchCursor(db, sql: "SELECT id FROM file"))
        }
    }

    /// One page of unexpired files in (created_at, seq) order; see `ListQuery` and DESIGN.md "Lists on the dated root".
    ///
    /// `after` is looked up among live files (expired ones included: their place is known) and then tombstones; an
    /// id never known gives an empty page with `hasMore` false, never a restart from the top.
    func list(_ query: ListQuery, now: Int64) async throws -> FileList {
        let limit = min(max(query.limit, ListQuery.limitRange.lowerBound), ListQuery.limitRange.upperBound)
        return try await database.read { db in
            var conditions = ["(expires_at IS NULL OR expires_at > ?)"]
            var arguments: StatementArguments = [now]
            if let purpose = query.purpose {
                conditions.append("purpose = ?")
                arguments += [purpose.rawValue]
            }
            if let after = query.after {
                guard let position = try Self.position(of: after, db) else {
                    return FileList(data: [], hasMore: false)
                }
                let comparison = query.order == .asc ? ">" : "<"
                conditions.append("(created_at \(comparison) ? OR (created_at = ? AND seq \(comparison) ?))")
                arguments += [position.createdAt, position.createdAt, position.seq]
            }
            let direction = query.order == .asc ? "ASC" : "DESC"
            arguments += [limit + 1]
            var files = try StoredFile.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM file WHERE \(conditions.joined(separator: " AND "))
                        ORDER BY created_at \(direction), seq \(direction) LIMIT ?
                        """
                ),
                arguments: arguments
            )
            let hasMore = files.count > limit
            if hasMore { files.removeLast() }
            return FileList(data: files.map(\.fileObject), hasMore: hasMore)
        }
    }

    /// Removes the unexpired file `id` and records its tombstone in one transaction; `false` when there is none.
    func delete(id: String, now: Int64) async throws -> Bool {
        try await database.write { db in
            let live = try Bool.fetchOne(
                db.cachedStatement(
                    sql: "SELECT EXISTS (SELECT 1 FROM file WHERE id = ? AND (expires_at IS NULL OR expires_at > ?))"
                ),
                arguments: [id, now]
            )
            guard live == true else { return false }
            try Self.bury(id: id, db)
            return true
        }
    }

    /// Removes up to `sweepBatchSize` files expired at `now`, tombstones kept, and answers their ids.
    func removeExpired(now: Int64) async throws -> [String] {
        try await database.write { db in
            let ids = try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM file WHERE expires_at <= ? ORDER BY expires_at LIMIT ?"),
                arguments: [now, Self.sweepBatchSize]
            )
            for id in ids {
                try Self.bury(id: id, db)
            }
            return ids
        }
    }

    /// Moves file `id`'s position into `tombstone` and deletes its row; call inside a write transaction.
    private static func bury(id: String, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO tombstone (id, created_at, seq)
                SELECT id, created_at, seq FROM file WHERE id = ?
                """
        ).execute(arguments: [id])
        try db.cachedStatement(sql: "DELETE FROM file WHERE id = ?").execute(arguments: [id])
    }

    /// Where `id` is or was in the list order: (created_at, seq) from a live row or a tombstone.
    private static func position(of id: String, _ db: Database) throws -> (createdAt: Int64, seq: Int64)? {
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT created_at, seq FROM file WHERE id = ?
                    UNION ALL SELECT created_at, seq FROM tombstone WHERE id = ?
                    LIMIT 1
                    """
            ),
            arguments: [id, id]
        )
        guard let row else { return nil }
        return (try row.decode(forColumn: "created_at"), try row.decode(forColumn: "seq"))
    }
}
