import GRDB

/// The metadata schema, one registered migration per change; never edit a shipped migration, add one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: files and tombstones") { db in
            // `seq` is AUTOINCREMENT so a number is never reused: a tombstone's position stays unique.
            try db.create(table: "file") { table in
                table.autoIncrementedPrimaryKey("seq")
                table.column("id", .text).notNull().unique()
                table.column("filename", .text).notNull()
                table.column("purpose", .text).notNull()
                table.column("bytes", .integer).notNull()
                table.column("created_at", .integer).notNull()
                table.column("expires_at", .integer)
            }
            try db.create(index: "file_on_position", on: "file", columns: ["created_at", "seq"])
            try db.create(index: "file_on_expires_at", on: "file", columns: ["expires_at"])
            // Where deleted and swept files were in the list, so an `after` naming one continues from there
            // (DESIGN.md "Lists on the dated root").
            try db.create(table: "tombstone", options: .withoutRowID) { table in
                table.primaryKey("id", .text)
                table.column("created_at", .integer).notNull()
                table.column("seq", .integer).notNull()
            }
        }
        return migrator
    }
}
