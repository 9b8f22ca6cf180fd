import CaseDomain
import Foundation

/// Where an origin's chain ends in the log: its highest sequence number and that event's hash.
struct OriginHead: Hashable, Sendable {
    var seq: Int64
    var hash: EventHash

    static let empty = OriginHead(seq: 0, hash: .genesis)
}

/// An origin position: one event of one origin's chain.
struct OriginPosition: Hashable, Sendable {
    var origin: NodeID
    var seq: Int64
}

/// Where the log ends: the appender's cache of the heads its plans start from.
///
/// Entries are only ever too old, never ahead of the log, so a plan made from them either
/// commits or is refused by the database as a whole; ``forget()`` after any failure.
struct LogHeads: Sendable {
    /// The highest global position, if known.
    var globalHead: Int64?
    /// Known origins' chain ends (``OriginHead/empty`` for an origin with no event yet).
    var originHeads: [NodeID: OriginHead] = [:]
    /// Known streams' versions (0 for a stream with no event yet).
    var streamVersions: [String: Int64] = [:]

    /// Streams remembered at most; past this the cache starts over. (An import request
    /// plans on a copy of the heads, so this also bounds what that copy costs.)
    static let streamCapacity = 20_000

    /// Nothing known yet.
    init() {}

    mutating func forget() {
        self = LogHeads()
    }

    /// The heads after `plan` committed.
    init(committed plan: CommitPlan) {
        self = plan.heads
        globalHead = plan.nextPosition - 1
        if streamVersions.count > Self.streamCapacity { streamVersions = [:] }
    }
}

/// A row the appender will insert.
struct PlannedRow: Sendable {
    var envelope: EventEnvelope
    var canonicalBytes: [UInt8]
    var hash: EventHash
    /// The origin's signature: carried by an imported event; made after planning for a
    /// local one (see ``CommitPlan/signedEvents(_:with:)``).
    var signature: [UInt8]?
    var globalPosition: Int64
    var quarantineReason: String?
}

/// A local append that the plan accepted: its stream's new version and its rows.
struct PlannedAppend: Sendable {
    var streamVersion: Int64
    var rows: Range<Int>
}

/// The appender's decisions for one group commit, made without I/O: which requests of the
/// batch succeed, and the rows they add, given the log's heads read under the node lock.
///
/// Each request is all-or-nothing: a failing request leaves the plan as it was, so the
/// other requests of the batch are unaffected.
struct CommitPlan {
    /// The heads the plan started from, advanced by each planned request.
    private(set) var heads: LogHeads
    private(set) var nextPosition: Int64
    /// Hashes of events the log already holds, for the import requests' origin positions.
    let heldHashes: [OriginPosition: EventHash]
    /// Event ids the log holds or this plan has planned, among the imports' ids: an id is
    /// taken once, whichever request of the group brings it.
    private var takenEventIDs: Set<UUID>
    /// For the imports' streams, the highest version held, quarantined events included:
    /// an imported event claiming a version past it lacks its predecessor (it is deferred,
    /// not quarantined, so that a node that has not seen the predecessor yet decides as
    /// the others will once it has).
    private var heldStreamVersions: [String: Int64]
    private(set) var rows: [PlannedRow] = []
    /// Whether an append was refused as a conflict: a refusal is only as good as the heads
    /// it was judged against, so a plan from cached heads that refuses is redone from fresh ones.
    private(set) var refusedAConflict = false

    /// Judges imported events by who may write their streams (invariant 5); `nil` to check
    /// stream versions only.
    private var writers: StreamWriterJudge?
    /// What an event may contain; the event size is judged here, the values before planning.
    private let valueRules: EventValueRules

    /// `heads` must know the global head and every origin and stream the requests touch;
    /// `writers`, the history of every stream the imports touch.
    init(heads: LogHeads, heldHashes: [OriginPosition: EventHash], takenEventIDs: Set<UUID> = [],
         heldStreamVersions: [String: Int64] = [:], writers: StreamWriterJudge? = nil, valueRules: EventValueRules = EventValueRules()) {
        self.heads = heads
        self.nextPosition = (heads.globalHead ?? 0) + 1
        self.heldHashes = heldHashes
        self.takenEventIDs = takenEventIDs
        self.heldStreamVersions = heldStreamVersions
        self.writers = writers
        self.valueRules = valueRules
    }

    // `_modify`, not `set`: a get-and-set accessor would copy the whole dictionary (up to
    // ``LogHeads/streamCapacity`` entries) on every write.
    private var originHeads: [NodeID: OriginHead] {
        get { heads.originHeads }
        _modify { yield &heads.originHeads }
    }

    private var streamVersions: [String: Int64] {
        get { heads.streamVersions }
        _modify { yield &heads.streamVersions }
    }

    /// Plans appends to several streams as one: all are planned, or none (the plan stays
    /// as it was) and the first conflict is thrown.
    mutating func planAppends(_ appends: [StreamAppend], node: NodeID, now: Timestamp) throws(AppendError) -> [PlannedAppend] {
        if appends.count == 1 {
            return [try planAppend(to: appends[0].stream, expectedVersion: appends[0].expectedVersion, events: appends[0].events, node: node, now: now)]
        }
        var trial = self
        var planned: [PlannedAppend] = []
        do {
            for append in appends {
                planned.append(try trial.planAppend(to: append.stream, expectedVersion: append.expectedVersion, events: append.events, node: node, now: now))
            }
        } catch {
            refusedAConflict = refusedAConflict || trial.refusedAConflict
            throw error
        }
        self = trial
        return planned
    }

    /// Plans a local append: checks the expected version, then numbers, chains and hashes
    /// the events (they are signed once the whole group is planned).
    mutating func planAppend(
        to stream: String, expectedVersion: Int64, events: [NewEvent], node: NodeID, now: Timestamp
    ) throws(AppendError) -> PlannedAppend {
        let actual = streamVersions[stream, default: 0]
        guard actual == expectedVersion else {
            refusedAConflict = true
            throw .conflict(stream: stream, expected: expectedVersion, actual: actual)
        }
        var head = originHeads[node, default: .empty]
        var newRows: [PlannedRow] = []
        for (offset, event) in events.enumerated() {
            let envelope = EventEnvelope(
                eventId: .version7(at: now), originNode: node, originSeq: head.seq + 1,
                streamId: stream, streamVersion: expectedVersion + Int64(offset) + 1,
                type: event.type, schemaVersion: event.schemaVersion, recordedAt: now,
                actor: event.actor, body: event.body, prevHash: head.hash
            )
            let bytes: [UInt8]
            do { bytes = try envelope.canonicalBytes() } catch {
                throw .invalid("event \(offset + 1) (\(event.type)) has no canonical form: \(error)")
            }
            do throws(EventValueRules.Violation) { try valueRules.check(eventBytes: bytes.count) } catch {
                throw .invalidValue(field: error.field, reason: error.reason)
            }
            let hash = EventHash(of: bytes)
            head = OriginHead(seq: envelope.originSeq, hash: hash)
            newRows.append(PlannedRow(envelope: envelope, canonicalBytes: bytes, hash: hash, signature: nil,
                                      globalPosition: nextPosition + Int64(offset), quarantineReason: nil))
        }
        let range = rows.count..<(rows.count + newRows.count)
        for row in newRows { writers?.record(row.envelope) }
        rows += newRows
        nextPosition += Int64(events.count)
        originHeads[node] = head
        let version = expectedVersion + Int64(events.count)
        streamVersions[stream] = version
        return PlannedAppend(streamVersion: version, rows: range)
    }

    /// The rows as signed events: imported rows keep their origin's signature, local rows
    /// are signed with `key` — in parallel chunks when there are many, since signing is
    /// most of the appender's own work.
    static func signedEvents(_ rows: [PlannedRow], with key: NodeSigningKey) async throws -> [SignedEvent] {
        func sign(_ slice: ArraySlice<PlannedRow>) throws -> [SignedEvent] {
            try slice.map { row in
                SignedEvent(envelope: row.envelope, canonicalBytes: row.canonicalBytes, hash: row.hash,
                            signature: try row.signature ?? key.sign(row.hash))
            }
        }
        let chunks = rows.count >= 32 ? max(1, ProcessInfo.processInfo.activeProcessorCount) : 1
        guard chunks > 1 else { return try sign(rows[...]) }
        let chunkSize = (rows.count + chunks - 1) / chunks
        return try await withThrowingTaskGroup(of: (Int, [SignedEvent]).self) { group in
            for start in stride(from: 0, to: rows.count, by: chunkSize) {
                let slice = rows[start..<min(start + chunkSize, rows.count)]
                group.addTask { (start, try sign(slice)) }
            }
            var parts: [(Int, [SignedEvent])] = []
            for try await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }

    /// Checks every event's hash and signature against `keyring`, spread over the cores
    /// (an Ed25519 check costs more than everything else an import does per event): the
    /// indexes of the events that fail, and why.
    static func verifySignatures(_ events: [SignedEvent], keyring: OriginKeyring) async -> [Int: IntegrityError] {
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, events.count / 64))
        let size = (events.count + chunks - 1) / chunks
        return await withTaskGroup(of: [Int: IntegrityError].self) { group in
            for start in stride(from: 0, to: events.count, by: size) {
                group.addTask {
                    var failures: [Int: IntegrityError] = [:]
                    for index in start..<min(events.count, start + size) {
                        do throws(IntegrityError) { try events[index].verify(with: keyring) } catch { failures[index] = error }
                    }
                    return failures
                }
            }
            var failures: [Int: IntegrityError] = [:]
            for await part in group { failures.merge(part) { first, _ in first } }
            return failures
        }
    }

    /// Plans an import of events whose hashes and signatures ``verifySignatures(_:keyring:)``
    /// checked (`badSignatures`: the indexes that failed). Each must follow its origin's
    /// chain with no gap, or be one the log already holds with the same hash. An event
    /// whose values break the rules, whose stream version does not follow the stream, or
    /// whose origin the writer rules refuse, is kept but quarantined.
    ///
    /// An origin whose event fails (bad signature, gap, broken chain, fork, an event id
    /// already taken) is refused for the whole batch: none of its events is written, and
    /// neither is any event that follows one of them in its stream or its origin's chain.
    /// Other origins' events are planned as usual, so one bad origin stops only its own
    /// chain (and what depends on it), never the relaying of the others.
    /// An event signed by a compromised key (`compromised`: index and reason) is kept but
    /// quarantined like the others.
    mutating func planImport(_ events: [SignedEvent], badSignatures: [Int: IntegrityError] = [:], compromised: [Int: String] = [:]) -> ImportOutcome {
        // Origins with a bad signature are refused up front: one restart per such origin
        // would make a page of many forged origins cost the square of its size.
        var refused: [NodeID: ImportError] = [:]
        for (index, reason) in badSignatures.sorted(by: { $0.key < $1.key }) where refused[events[index].envelope.originNode] == nil {
            refused[events[index].envelope.originNode] = .rejected(event: events[index].envelope, reason: reason)
        }
        while true {
            var trial = self
            switch trial.tryPlanImport(events, refusing: refused, compromised: compromised) {
            case .success(var outcome):
                self = trial
                outcome.refused = refused
                return outcome
            case .failure(let refusal):
                refused[refusal.origin] = refusal.error
            }
        }
    }

    /// One try of ``planImport(_:badSignatures:compromised:)`` with `refusing` left out: the first
    /// origin found failing, or the outcome.
    private mutating func tryPlanImport(_ events: [SignedEvent], refusing: [NodeID: ImportError],
                                        compromised: [Int: String]) -> Result<ImportOutcome, OriginRefusal> {
        var outcome = ImportOutcome()
        var blockedOrigins = Set(refusing.keys)
        var blockedStreams: Set<String> = []
        for (index, event) in events.enumerated() {
            let envelope = event.envelope
            let origin = envelope.originNode
            func refuse(_ error: ImportError) -> Result<ImportOutcome, OriginRefusal> { .failure(OriginRefusal(origin: origin, error: error)) }
            func reject(_ reason: IntegrityError) -> Result<ImportOutcome, OriginRefusal> { refuse(.rejected(event: envelope, reason: reason)) }
            if blockedOrigins.contains(origin) || blockedStreams.contains(envelope.streamId) {
                blockedOrigins.insert(origin)
                blockedStreams.insert(envelope.streamId)
                outcome.deferred += 1
                continue
            }
            let head = originHeads[origin, default: .empty]
            if envelope.originSeq <= head.seq {
                let position = OriginPosition(origin: origin, seq: envelope.originSeq)
                guard let held = heldHash(at: position) else { return reject(.sequenceGap(expected: head.seq + 1, found: envelope.originSeq)) }
                guard held == event.hash else {
                    return refuse(.forked(origin: origin, seq: envelope.originSeq, held: held, received: event.hash))
                }
                outcome.alreadyHeld += 1
                continue
            }
            guard envelope.originSeq == head.seq + 1 else { return reject(.sequenceGap(expected: head.seq + 1, found: envelope.originSeq)) }
            guard envelope.prevHash == head.hash else { return reject(.brokenChain(expectedPrevHash: head.hash, found: envelope.prevHash)) }
            guard !takenEventIDs.contains(envelope.eventId) else {
                return reject(.columnMismatch("event_id \(envelope.eventId.uuidString.lowercased()) is already taken by another event"))
            }
            let streamVersion = streamVersions[envelope.streamId, default: 0]
            let held = max(streamVersion, heldStreamVersions[envelope.streamId, default: 0])
            if envelope.streamVersion > held + 1 {
                // Its stream predecessor is not here yet (a relay left it out): it waits, with
                // what follows it, for the pull that brings it.
                blockedOrigins.insert(origin)
                blockedStreams.insert(envelope.streamId)
                outcome.deferred += 1
                continue
            }
            takenEventIDs.insert(envelope.eventId)
            heldStreamVersions[envelope.streamId] = max(held, envelope.streamVersion)
            originHeads[origin] = OriginHead(seq: envelope.originSeq, hash: event.hash)
            var quarantineReason: String?
            if let reason = compromised[index] {
                quarantineReason = "compromised-key: \(reason)"
            } else if let violation = valueRules.violation(ofImported: event) {
                quarantineReason = "invalid-value: \(violation)"
            } else if envelope.streamVersion != streamVersion + 1 {
                quarantineReason = "stream-version-conflict: \(envelope.streamId) is at version \(streamVersion), the event claims \(envelope.streamVersion)"
            } else if let refusal = writers?.refusal(of: envelope) {
                quarantineReason = "not-the-writer: \(envelope.streamId) version \(envelope.streamVersion) from \(origin): \(refusal)"
            } else {
                streamVersions[envelope.streamId] = envelope.streamVersion
            }
            if let quarantineReason { outcome.quarantined[event.hash] = quarantineReason }
            rows.append(PlannedRow(envelope: envelope, canonicalBytes: event.canonicalBytes, hash: event.hash, signature: event.signature,
                                   globalPosition: nextPosition, quarantineReason: quarantineReason))
            nextPosition += 1
            outcome.imported += 1
        }
        return .success(outcome)
    }

    /// An origin an import refuses, and why.
    private struct OriginRefusal: Error {
        var origin: NodeID
        var error: ImportError
    }

    /// The hash held at an origin position: in the log, or planned earlier in this batch.
    private func heldHash(at position: OriginPosition) -> EventHash? {
        if let held = heldHashes[position] { return held }
        return rows.last { $0.envelope.originNode == position.origin && $0.envelope.originSeq == position.seq }?.hash
    }
}
