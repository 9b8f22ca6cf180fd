import CaseDomain
import CoreMetrics
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The one door into a node's log: local appends and imports from other origins.
///
/// Concurrent calls queue here and are written together, one transaction at a time
/// under the node's advisory lock (group commit). That makes `globalPosition` gapless in
/// commit order, even with several processes on one database, and lets many appends
/// share one commit. Every request is all-or-nothing on its own: a conflicting append or
/// a rejected import fails alone, the rest of its group commits.
public actor EventAppender {
    /// The advisory lock every writer of a node's events table takes for its transaction.
    static let nodeLockKey: Int64 = 0x746F_6E67_6261_6E01

    /// The channel a commit notifies with its last global position.
    public static let notificationChannel = "tongban_events"

    enum Pending {
        case append([StreamAppend], reply: CheckedContinuation<[AppendOutcome], any Error>)
        case importBatch(events: [SignedEvent], badSignatures: [Int: IntegrityError], compromised: [Int: String], reply: CheckedContinuation<ImportOutcome, any Error>)

        var isAppend: Bool {
            if case .append = self { true } else { false }
        }

        var eventCount: Int {
            switch self {
            case .append(let appends, _): appends.reduce(0) { $0 + $1.events.count }
            case .importBatch(let events, _, _, _): events.count
            }
        }
    }

    private let client: PostgresClient
    let signingKey: NodeSigningKey
    /// The federation's keys, as its file names them.
    private let federationKeys: OriginKeyring
    /// ``federationKeys`` following the key changes of the log (read when first needed and
    /// again after each committed key change): never a change that did not commit.
    private var keyring: OriginKeyring
    private var followsTheLog = false
    private let writerRules: (any StreamWriterRules)?
    private let valueRules: EventValueRules
    private let clock: NodeClock
    let logger: Logger
    private let maximumEventsPerCommit: Int
    private let metrics: AppenderMetrics
    private var queue: [Pending] = []
    private var isDraining = false
    /// Where the log ends, as far as this appender knows; checked by every insert.
    var heads = LogHeads()

    /// - Parameters:
    ///   - client: a running client connected as the service role.
    ///   - signingKey: this node's key; its node is the origin of every local append.
    ///   - keyring: the federation's public keys, for imports (this node's own included).
    ///   - writerRules: who may write each stream, for imports (invariant 5); `nil` checks
    ///     only that an imported event follows its stream's version.
    ///   - valueRules: what an event may contain (invariant 9): a local append that breaks
    ///     them is refused, an import quarantined.
    ///   - maximumEventsPerCommit: a group commit stops taking requests past this many events
    ///     (a single larger request still commits alone).
    ///   - metrics: where requests, their latency and the events written are counted
    ///     (swift-metrics' global factory by default).
    public init(
        client: PostgresClient, signingKey: NodeSigningKey, keyring: OriginKeyring, writerRules: (any StreamWriterRules)? = nil,
        valueRules: EventValueRules = EventValueRules(), clock: NodeClock = .system, maximumEventsPerCommit: Int = 2000, metrics: any MetricsFactory = MetricsSystem.factory,
        logger: Logger = Logger(label: "tongban.appender")
    ) {
        self.metrics = AppenderMetrics(factory: metrics)
        self.client = client
        self.signingKey = signingKey
        self.federationKeys = keyring
        self.keyring = keyring
        self.writerRules = writerRules
        self.valueRules = valueRules
        self.clock = clock
        self.maximumEventsPerCommit = maximumEventsPerCommit
        self.logger = logger
    }

    /// The node whose events this appender authors.
    public nonisolated var node: NodeID { signingKey.node }

    /// Appends `events` to `stream` if the stream is at `expectedVersion` (0: the stream must
    /// not exist yet). Returns once the events are committed.
    public func append(to stream: String, expectedVersion: Int64, events: [NewEvent]) async throws(AppendError) -> AppendOutcome {
        try await appendAtomically([StreamAppend(stream: stream, expectedVersion: expectedVersion, events: events)])[0]
    }

    /// Appends to several streams at once, all or nothing: every stream must be at its
    /// expected version, or nothing is written and the first mismatch is reported. (A
    /// grant and the centre's numbering stream, say, so that numbers stay gapless.)
    public func appendAtomically(_ appends: [StreamAppend]) async throws(AppendError) -> [AppendOutcome] {
        guard !appends.isEmpty else { throw .invalid("nothing to append") }
        guard Set(appends.map(\.stream)).count == appends.count else { throw .invalid("a stream appears twice in one atomic append") }
        for append in appends {
            guard StreamID.isWellFormed(append.stream) else {
                throw .invalid("stream id '\(append.stream)': 1 to \(StreamID.maximumLength) lowercase letters, digits and '-'")
            }
            guard !append.events.isEmpty else { throw .invalid("no events to append to \(append.stream)") }
            guard append.expectedVersion >= 0 else { throw .invalid("expected version \(append.expectedVersion) is negative") }
            if let bad = append.events.first(where: { !EventValueRules.schemaVersions.contains($0.schemaVersion) }) {
                throw .invalid("event type '\(bad.type)' schema version \(bad.schemaVersion): schema versions are \(EventValueRules.schemaVersions)")
            }
            for event in append.events {
                do throws(EventValueRules.Violation) {
                    try EventValueRules.check(type: event.type, staff: event.actor.staff)
                    try EventValueRules.check(body: event.body)
                } catch {
                    throw .invalidValue(field: error.field, reason: error.reason)
                }
            }
        }
        try await requireCurrentKey()
        let started = ContinuousClock.now
        do {
            let outcomes = try await withCheckedThrowingContinuation { reply in
                enqueue(.append(appends, reply: reply))
            }
            metrics.record(.append, outcome: "ok", duration: ContinuousClock.now - started, events: outcomes.reduce(0) { $0 + $1.events.count })
            if appends.contains(where: { $0.events.contains { $0.type == NodeKeyChange.type } }) { await followCommittedKeyChanges() }
            return outcomes
        } catch {
            let failure = error as? AppendError ?? .database(String(reflecting: error))
            metrics.record(.append, outcome: AppenderMetrics.outcome(of: failure), duration: ContinuousClock.now - started)
            throw failure
        }
    }

    /// Imports events authored elsewhere, in origin order. An origin with an event that has
    /// a bad hash or signature, an unknown origin, a gap or a break in its chain, or an id
    /// another event has, is refused: nothing of that origin's in the batch is written, nor
    /// anything that follows its events in their streams (``ImportOutcome/refused``,
    /// ``ImportOutcome/deferred``); the other origins' events are imported. When nothing at
    /// all could be imported, the first refusal (by origin id) is thrown. Events already
    /// held are skipped.
    public func importEvents(_ events: [SignedEvent]) async throws(ImportError) -> ImportOutcome {
        guard !events.isEmpty else { return ImportOutcome() }
        let started = ContinuousClock.now
        do {
            // A change the batch brings counts for its own later events here; it reaches the
            // node's keys only once committed (a refused one changes nothing).
            let keys = try await originKeys().following(events)
            let badSignatures = await CommitPlan.verifySignatures(events, keyring: keys)
            var compromised: [Int: String] = [:]
            for (index, event) in events.enumerated() {
                if let reason = keys.compromise(of: event.envelope.originNode, seq: event.envelope.originSeq) { compromised[index] = reason }
            }
            let outcome = try await withCheckedThrowingContinuation { reply in
                enqueue(.importBatch(events: events, badSignatures: badSignatures, compromised: compromised, reply: reply))
            }
            if outcome.imported > 0, events.contains(where: { $0.envelope.type == NodeKeyChange.type }) { await followCommittedKeyChanges() }
            if outcome.imported == 0, outcome.alreadyHeld < events.count,
               let first = outcome.refused.min(by: { $0.key.rawValue < $1.key.rawValue }) {
                throw first.value
            }
            metrics.record(.import, outcome: "ok", duration: ContinuousClock.now - started, events: outcome.imported, quarantined: outcome.quarantined.count)
            return outcome
        } catch {
            let failure = error as? ImportError ?? .database(String(reflecting: error))
            metrics.record(.import, outcome: AppenderMetrics.outcome(of: failure), duration: ContinuousClock.now - started)
            throw failure
        }
    }

    /// Refuses to sign with a key this node's chain has changed away from: its events
    /// would verify nowhere. (A node outside the keyring, in a benchmark, signs freely.)
    private func requireCurrentKey() async throws(AppendError) {
        let current: OriginKeyring
        do { current = try await originKeys() } catch { throw .database("\(error)") }
        if let reason = current.compromise(of: node, seq: .max) {
            throw .signingKeyUnusable("this node's key is marked compromised in the federation file (\(reason)): every node quarantines what it signs; "
                                      + "change it first (tongban keys rotate), then mark it from the sequence after the change")
        }
        guard let key = current[node], key.rawRepresentation != signingKey.publicKey.rawRepresentation else { return }
        throw .signingKeyUnusable("this node signs with a key its chain has changed away from (since seq \(current.rotations(of: node).last?.fromSeq ?? 0)); "
                       + "start it with the key its last NodeKeyChanged event names")
    }

    /// The keys events are verified with now: the federation's, following every key
    /// change of this node's log (read once) and of the batches imported since.
    public func originKeys() async throws(ImportError) -> OriginKeyring {
        if !followsTheLog {
            do { keyring = try await federationKeys.followingKeyChanges(in: client, logger: logger) } catch {
                throw .database(describePostgresError(error))
            }
            followsTheLog = true
        }
        return keyring
    }

    /// After a commit that held a key change: the keys are read from the log again (at the
    /// next use, if the log cannot be read now).
    private func followCommittedKeyChanges() async {
        followsTheLog = false
        _ = try? await originKeys()
    }

    private func enqueue(_ request: Pending) {
        queue.append(request)
        guard !isDraining else { return }
        isDraining = true
        Task { await self.drain() }
    }

    private func drain() async {
        while !queue.isEmpty {
            let group = takeGroup()
            await commit(group)
            // The callers just answered usually append again at once: let them reach the
            // queue so they join the next group instead of waiting a whole commit for the one after.
            if group.count > 1 {
                for _ in 0..<2 { await Task.yield() }
            }
        }
        isDraining = false
    }

    /// Takes the next group off the queue: at least one request, more while they fit.
    private func takeGroup() -> [Pending] {
        var taken = 1
        var eventCount = queue[0].eventCount
        while taken < queue.count, eventCount + queue[taken].eventCount <= maximumEventsPerCommit {
            eventCount += queue[taken].eventCount
            taken += 1
        }
        let group = Array(queue.prefix(taken))
        queue.removeFirst(taken)
        return group
    }

    /// A group planned and signed, ready to insert.
    private struct PreparedGroup: Sendable {
        let statement: InsertEventsStatement
        /// The heads once this group has committed.
        let headsAfter: LogHeads
        /// Each request's answer, to be given once the group has committed.
        let replies: [@Sendable () -> Void]
        /// An append was refused as a conflict (see ``CommitPlan/refusedAConflict``).
        let refusedAConflict: Bool
    }

    /// Writes one group and answers every request of it.
    ///
    /// A group of appends is first tried optimistically, in one insert planned from the
    /// cached heads: the insert takes the node lock and checks that the log still ends where
    /// the cache says; a stale cache (another process wrote) makes it fail a unique
    /// constraint or that check and write nothing. A stale cache, a refusal (a conflict is
    /// only as true as the heads it was judged against) or any import (whose rejections and
    /// quarantines depend on the heads too) sends the group to a transaction that takes the
    /// lock before reading the heads, which cannot be stale.
    private func commit(_ group: [Pending]) async {
        do {
            let committed: PreparedGroup
            do {
                guard group.allSatisfy(\.isAppend) else { throw StaleHeads() }
                // In a transaction block, not on its own: PostgresNIO returns a lone statement's
                // rows at its CommandComplete, before PostgreSQL commits it at the Sync, where the
                // commit can still fail (a deferred constraint, a primary lost before its
                // synchronous standby confirmed). An explicit COMMIT answers once it has committed.
                committed = try await client.withTransaction(logger: logger) { connection in
                    let ready = try await prepare(group, on: connection)
                    guard !ready.refusedAConflict else { throw StaleHeads() }
                    try await Self.insert(ready.statement, on: connection, logger: logger)
                    return ready
                }
            } catch where Self.isStaleHeads(error) {
                heads.forget()
                logger.debug("log heads were stale; committing the group under the lock")
                committed = try await client.withTransaction(logger: logger) { connection in
                    _ = try await connection.query("SELECT pg_advisory_xact_lock(\(Self.nodeLockKey))", logger: logger)
                    let ready = try await prepare(group, on: connection)
                    try await Self.insert(ready.statement, on: connection, logger: logger)
                    return ready
                }
            }
            heads = committed.headsAfter
            for reply in committed.replies { reply() }
        } catch {
            heads.forget()
            let failure = describePostgresError(error)
            logger.error("group commit failed", metadata: ["requests": "\(group.count)", "error": "\(failure)"])
            for request in group {
                switch request {
                case .append(_, let reply): reply.resume(throwing: AppendError.database(failure))
                case .importBatch(_, _, _, let reply): reply.resume(throwing: ImportError.database(failure))
                }
            }
        }
    }

    /// Reads what the cache lacks for `group`, then plans and signs it from the cache.
    private func prepare(_ group: [Pending], on connection: PostgresConnection) async throws -> PreparedGroup {
        let (heldHashes, takenEventIDs, heldStreamVersions) = try await loadMissingHeads(for: group, on: connection)
        var writers: StreamWriterJudge?
        if let writerRules, !group.allSatisfy(\.isAppend) {
            writers = StreamWriterJudge(rules: writerRules, histories: try await loadImportedStreamHistories(for: group, on: connection))
        }
        // The plan takes the cache over (no copy of its dictionaries); commit hands it back.
        let start = heads
        heads = LogHeads()
        return try await prepare(group, plan: CommitPlan(heads: start, heldHashes: heldHashes, takenEventIDs: takenEventIDs,
                                                         heldStreamVersions: heldStreamVersions, writers: writers, valueRules: valueRules))
    }

    /// Plans `group` with `plan` (whose heads must know every head the group touches) and signs it.
    private func prepare(
        _ group: [Pending], plan start: CommitPlan
    ) async throws -> PreparedGroup {
        var plan = start
        let startHead = plan.heads.globalHead ?? 0
        enum Planned {
            case append(Result<[PlannedAppend], AppendError>, CheckedContinuation<[AppendOutcome], any Error>)
            case importBatch(Result<ImportOutcome, ImportError>, CheckedContinuation<ImportOutcome, any Error>)
        }
        var planned: [Planned] = []
        for request in group {
            switch request {
            case .append(let appends, let continuation):
                planned.append(.append(Result { () throws(AppendError) in
                    try plan.planAppends(appends, node: signingKey.node, now: clock.now())
                }, continuation))
            case .importBatch(let events, let badSignatures, let compromised, let continuation):
                planned.append(.importBatch(.success(plan.planImport(events, badSignatures: badSignatures, compromised: compromised)), continuation))
            }
        }
        let rows = plan.rows
        let events = try await CommitPlan.signedEvents(rows, with: signingKey)
        var replies: [@Sendable () -> Void] = []
        for request in planned {
            switch request {
            case .append(let result, let continuation):
                let outcome = result.map { accepted in
                    accepted.map { append in
                        AppendOutcome(streamVersion: append.streamVersion,
                                      globalPositions: append.rows.map { rows[$0].globalPosition },
                                      events: Array(events[append.rows]))
                    }
                }
                replies.append { continuation.resume(with: outcome) }
            case .importBatch(let result, let continuation):
                replies.append { continuation.resume(with: result) }
            }
        }
        return PreparedGroup(
            statement: InsertEventsStatement(lockKey: Self.nodeLockKey, expectedHead: startHead, rows: rows, events: events),
            headsAfter: LogHeads(committed: plan), replies: replies, refusedAConflict: plan.refusedAConflict
        )
    }

    /// Runs the insert; fewer rows than planned means the heads were stale.
    private static func insert(_ statement: InsertEventsStatement, on connection: PostgresConnection, logger: Logger) async throws {
        guard !statement.rows.isEmpty else { return }
        var inserted = 0
        for try await count in try await connection.execute(statement, logger: logger) { inserted = count }
        guard inserted == statement.rows.count else { throw StaleHeads() }
    }

    /// The cached heads were stale, or cannot be trusted for what the group decided.
    private struct StaleHeads: Error {}

    private static func isStaleHeads(_ error: any Error) -> Bool {
        if let failed = error as? PostgresTransactionError {
            return failed.beginError == nil && failed.closureError.map(isStaleHeads) == true
        }
        if error is StaleHeads { return true }
        return (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }
}
