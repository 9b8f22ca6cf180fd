import Crypto
import Foundation
import Logging
import PostgresNIO

/// Applies the numbered SQL files of `schema/` in order, each once, each in its own
/// transaction, and records them in `schema_migrations` with their SHA-256.
///
/// A file that was applied and has changed since, a gap or a duplicate in the numbering,
/// or a statement PostgreSQL refuses stops the run with an error naming the file (and the
/// statement's line); a failed migration leaves nothing behind.
public struct Migrator: Sendable {
    /// One migration file.
    public struct Migration: Sendable, Hashable {
        public let version: Int
        public let name: String
        public let sql: String
        public let checksum: String
    }

    public let migrations: [Migration]
    public let directory: String

    /// Reads every `NNN_name.sql` file of `directory`.
    public init(directory: String) throws(MigrationError) {
        self.directory = directory
        let files: [String]
        do { files = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw .unreadableDirectory(directory)
        }
        var migrations: [Migration] = []
        for file in files.sorted() where file.hasSuffix(".sql") {
            let digits = file.prefix { $0.isNumber }
            guard !digits.isEmpty, let version = Int(digits), file.dropFirst(digits.count).first == "_" else {
                throw .badFileName(directory + "/" + file)
            }
            guard let sql = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8) else {
                throw .unreadableFile(directory + "/" + file)
            }
            let checksum = Array(SHA256.hash(data: Data(sql.utf8))).hexString
            migrations.append(Migration(version: version, name: file, sql: sql, checksum: checksum))
        }
        guard !migrations.isEmpty else { throw .noMigrations(directory) }
        for (expected, migration) in zip(1..., migrations) where migration.version != expected {
            throw .badNumbering(file: migration.name, expected: expected)
        }
        self.migrations = migrations
    }

    /// The newest migration's version: what `/ready` compares the database with.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Applies what the database lacks; returns the names of the files applied now.
    @discardableResult
    public func migrate(_ client: PostgresClient, logger: Logger) async throws(MigrationError) -> [String] {
        var applied: [String] = []
        do {
            try await client.withConnection { connection in
                _ = try await connection.query("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version    integer     NOT NULL CONSTRAINT schema_migrations_pkey PRIMARY KEY,
                        name       text        NOT NULL,
                        sha256     text        NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now())
                    """, logger: logger)
                _ = try await connection.query("COMMENT ON TABLE schema_migrations IS 'The files of schema/ applied to this database, by tongban migrate.'", logger: logger)
            }
        } catch {
            throw .database(file: nil, line: nil, message: describePostgresError(error))
        }
        for migration in migrations {
            if try await apply(migration, client: client, logger: logger) {
                applied.append(migration.name)
            }
        }
        return applied
    }

    /// The versions recorded in the database, with their checksums.
    public static func appliedVersions(_ client: PostgresClient, logger: Logger) async throws -> [Int: String] {
        var versions: [Int: String] = [:]
        let rows = try await client.query("SELECT version, sha256 FROM schema_migrations", logger: logger)
        for try await (version, checksum) in rows.decode((Int, String).self) { versions[version] = checksum }
        return versions
    }

    private func apply(_ migration: Migration, client: PostgresClient, logger: Logger) async throws(MigrationError) -> Bool {
        let script: SQLScript
        do { script = try SQLScript(migration.sql) } catch {
            throw .malformed(file: migration.name, reason: error.description)
        }
        var failingLine: Int?
        do {
            return try await client.withTransaction(logger: logger) { connection in
                _ = try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: logger)
                let rows = try await connection.query("SELECT sha256 FROM schema_migrations WHERE version = \(migration.version)", logger: logger)
                for try await checksum in rows.decode(String.self) {
                    guard checksum == migration.checksum else {
                        throw MigrationError.changedAfterApply(file: migration.name)
                    }
                    return false
                }
                for statement in script.statements {
                    failingLine = statement.line
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement.text), logger: logger)
                }
                failingLine = nil
                _ = try await connection.query("""
                    INSERT INTO schema_migrations (version, name, sha256)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """, logger: logger)
                logger.debug("applied migration", metadata: ["file": "\(migration.name)"])
                return true
            }
        } catch {
            if let transactionError = error as? PostgresTransactionError, let inner = transactionError.closureError as? MigrationError {
                throw inner
            }
            throw .database(file: migration.name, line: failingLine, message: describePostgresError(error))
        }
    }

    static let migrationLockKey: Int64 = 0x746F_6E67_6261_6E02
}

/// Why migrations could not be applied.
public enum MigrationError: Error, Equatable, CustomStringConvertible {
    case unreadableDirectory(String)
    case unreadableFile(String)
    case noMigrations(String)
    case badFileName(String)
    case badNumbering(file: String, expected: Int)
    case malformed(file: String, reason: String)
    case changedAfterApply(file: String)
    case database(file: String?, line: Int?, message: String)

    public var description: String {
        switch self {
        case .unreadableDirectory(let path): "cannot read the migrations directory \(path) (run from the project root or pass --schema-dir)"
        case .unreadableFile(let path): "cannot read migration \(path) as UTF-8"
        case .noMigrations(let path): "no NNN_name.sql migrations in \(path)"
        case .badFileName(let path): "migration file \(path) is not named NNN_name.sql"
        case .badNumbering(let file, let expected): "migration \(file) breaks the numbering: expected number \(expected) (no gaps, no duplicates)"
        case .malformed(let file, let reason): "migration \(file) is malformed: \(reason)"
        case .changedAfterApply(let file): "migration \(file) was changed after it was applied: add a new migration instead"
        case .database(let file?, let line?, let message): "migration \(file), statement on line \(line): \(message)"
        case .database(let file?, nil, let message): "migration \(file): \(message)"
        case .database(nil, _, let message): "migrations: \(message)"
        }
    }
}
