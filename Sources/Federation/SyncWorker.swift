import AsyncHTTPClient
import CaseDomain
import EventLog
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// Keeps a node's log in step with its sync peers' (``FederationFile/syncPeers(of:)``):
/// pulls the events it lacks from each peer (any origin, so events relay through the peer
/// graph), imports them through the appender, and tells the peers when its own log grew
/// (by a write or an import) so that they pull at once. A periodic pull covers a lost
/// notification. Its work follows the number of its peers, not of the federation's nodes.
public actor SyncWorker: Service {
    /// What the worker knows of a peer, for `/v1/sync/status`.
    public struct PeerStatus: Sendable, Encodable {
        public var node: String
        public var url: String
        public var lastContact: Timestamp?
        public var lastError: String?
        /// Events the peer held that this node did not, at the last contact.
        public var lagEvents: Int64
        public var imported: Int
    }

    private let client: PeerClient
    private nonisolated var peers: [PeerClient.Peer] { client.peers }
    private let appender: EventAppender
    private let reader: EventReader
    private let notifier: LogNotifier
    /// Where the checkpoints that come with pull answers are kept and cosigned.
    private let checkpoints: CheckpointStore?
    private let interval: Duration
    private let batchSize: Int
    private let logger: Logger
    private var status: [NodeID: PeerStatus] = [:]
    /// The pull loops asleep, by peer.
    private var wakeups: [NodeID: CheckedContinuation<Void, Never>] = [:]
    /// Peers to pull from again as soon as the current pull ends.
    private var pending: Set<NodeID> = []

    /// - Parameter tls: how peers are reached (``PeerClient/tls``).
    /// - Parameter checkpoints: where the checkpoints of pull answers are kept (none: ignored).
    public init(federation: FederationFile, key: NodeSigningKey, tls: FederationTLS? = nil, appender: EventAppender, reader: EventReader,
                notifier: LogNotifier, checkpoints: CheckpointStore? = nil, interval: Duration = .seconds(5), batchSize: Int = 2000, logger: Logger) {
        self.client = PeerClient(federation: federation, key: key, tls: tls)
        self.appender = appender
        self.reader = reader
        self.notifier = notifier
        self.checkpoints = checkpoints
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
        for peer in client.peers {
            status[peer.id] = PeerStatus(node: peer.id.rawValue, url: peer.url, lastContact: nil, lastError: nil, lagEvents: 0, imported: 0)
        }
    }

    /// Each peer's status, by node id.
    public var peerStatus: [PeerStatus] { status.values.sorted { $0.node < $1.node } }

    /// `node` said it has new events: pull from it now. From every peer when `node` is
    /// none of them (or not known): the events may come by any.
    public func wake(from node: NodeID? = nil) {
        if let node, status[node] != nil { return wake(node) }
        for peer in peers { wake(peer.id) }
    }

    private func wake(_ peer: NodeID) {
        pending.insert(peer)
        wakeups.removeValue(forKey: peer)?.resume()
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.notifier.run() }
                for peer in self.peers { group.addTask { await self.pullLoop(peer) } }
                group.addTask { await self.announceLoop() }
                await group.waitForAll()
            }
        }
    }

    /// Pulls from every peer at once until each has nothing more (or fails), returning the
    /// events imported.
    @discardableResult
    public func syncOnce() async -> Int {
        await withTaskGroup(of: Int.self) { group in
            for peer in peers { group.addTask { await self.pull(from: peer) } }
            var imported = 0
            for await count in group { imported += count }
            return imported
        }
    }

    /// Each peer has its own loop, so that a peer that is down or slow (a pull waits up to
    /// its timeout) holds up no other.
    private func pullLoop(_ peer: PeerClient.Peer) async {
        while !Task.isCancelled {
            pending.remove(peer.id)
            await pull(from: peer)
            if pending.contains(peer.id) { continue }
            await sleepUntilWoken(peer.id, timeout: interval)
        }
    }

    private func sleepUntilWoken(_ peer: NodeID, timeout: Duration) async {
        let timer = Task { [weak self] in
            // Cancelled once woken: then no second wake (it made every woken pull run twice).
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            await self?.wake(peer)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if pending.contains(peer) { continuation.resume() } else { wakeups[peer] = continuation }
            }
        } onCancel: {
            Task { await self.wake(peer) }
        }
        timer.cancel()
    }

    /// Tells every peer when this node's log has grown (debounced), so they pull at once.
    private func announceLoop() async {
        var known = (try? await reader.headPosition()) ?? 0
        while !Task.isCancelled {
            await notifier.waitForEvents(after: known, timeout: interval)
            guard let head = try? await reader.headPosition(), head > known else { continue }
            known = head
            try? await Task.sleep(for: .milliseconds(20))
            for peer in peers {
                Task { _ = try? await client.send("POST", "/v1/sync/notify", to: peer, body: Data("{}".utf8)) }
            }
        }
    }

    @discardableResult
    private func pull(from peer: PeerClient.Peer) async -> Int {
        var imported = 0
        // Origins refused in this round: left out of the following pulls, so that their
        // events do not fill every page and hold up the other origins' (asked again next round).
        var refused: Set<NodeID> = []
        var refusal: String?
        do {
            var vector = try await reader.versionVector()
            var batch = try await fetch(after: vector, excluding: refused, from: peer)
            while !Task.isCancelled {
                // While this batch is imported, the next one is already on its way.
                let offered = Self.vector(vector, advancedBy: batch.events), excluded = refused
                var advanced = offered
                let wanted = batch.response.more && !batch.events.isEmpty && !batch.truncated
                async let speculative = wanted ? fetch(after: offered, excluding: excluded, from: peer) : nil
                var refetch = false
                var stalled = false
                if !batch.events.isEmpty {
                    let outcome: ImportOutcome
                    do { outcome = try await appender.importEvents(batch.events) } catch {
                        guard let origin = error.origin else { throw error }
                        outcome = ImportOutcome(refused: [origin: error])
                    }
                    imported += outcome.imported
                    if !outcome.quarantined.isEmpty {
                        logger.warning("quarantined events from \(peer.id)", metadata: ["count": "\(outcome.quarantined.count)"])
                    }
                    let fresh = Set(outcome.refused.keys).subtracting(refused)
                    if !outcome.refused.isEmpty {
                        refusal = outcome.refused.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value)" }.joined(separator: "; ")
                        logger.warning("refused events from \(peer.id)", metadata: ["refusal": "\(refusal ?? "")"])
                        refused.formUnion(outcome.refused.keys)
                    }
                    if !outcome.refused.isEmpty || outcome.deferred > 0 {
                        // What this node holds is what counts, not what the page offered. With
                        // origins newly refused the next page is asked for without them; a page
                        // that brought nothing new ends the round (asking again would bring the
                        // same page: a peer that ignores `exclude` cannot make this node spin).
                        advanced = try await reader.versionVector()
                        refetch = !fresh.isEmpty
                        stalled = fresh.isEmpty && outcome.imported == 0
                    }
                }
                let following = stalled ? nil : refetch ? try await fetch(after: advanced, excluding: refused, from: peer) : try await speculative
                status[peer.id]?.lagEvents = Self.lag(theirs: batch.vector, ours: advanced)
                status[peer.id]?.lastContact = Timestamp(Date())
                status[peer.id]?.lastError = batch.truncated ? "the pull answer holds an event this node cannot read after \(batch.events.count) events" : refusal
                guard let next = following else {
                    await keep(batch.response.parsedCheckpoints(), from: peer.id)
                    break
                }
                vector = advanced
                batch = next
            }
        } catch {
            status[peer.id]?.lastError = "\(error)"
            logger.debug("pull from \(peer.id) failed", metadata: ["error": "\(error)"])
        }
        status[peer.id]?.imported += imported
        return imported
    }

    /// Keeps the checkpoints a round's last answer brought, once its events are imported
    /// (so that most can be confirmed and cosigned at once). A failure here is logged: the
    /// events of the round are imported whatever becomes of its checkpoints.
    private func keep(_ received: [SignedCheckpoint], from peer: NodeID) async {
        guard let checkpoints, !received.isEmpty else { return }
        let outcome: CheckpointStore.ReceiveOutcome
        do { outcome = try await checkpoints.receive(received, from: peer) } catch {
            logger.warning("checkpoints from \(peer) not kept", metadata: ["error": "\(error)"])
            return
        }
        if outcome.refused > 0 {
            logger.warning("checkpoints or cosignatures from \(peer) not signed by their keys", metadata: ["count": "\(outcome.refused)"])
        }
        for checkpoint in outcome.contradicting {
            logger.error("a checkpoint contradicts this node's log or another checkpoint: its origin may have told two histories (tongban verify names both)",
                         metadata: ["origin": "\(checkpoint.origin)", "seq": "\(checkpoint.seq)", "hash": "\(checkpoint.hash.hex)", "from": "\(peer)"])
        }
    }

    /// A pull answer, checked: the events parsed, the peer's vector within bounds.
    private struct Batch {
        var response: SyncMessages.PullResponse
        var events: [SignedEvent]
        var vector: [NodeID: Int64]
        /// An event of the page could not be read: the page ends before it.
        var truncated: Bool
    }

    /// One pull: the events `peer` holds after `vector` (but none of `excluded`'s), decoded,
    /// parsed and checked. An answer that is too large, malformed, or holds more events
    /// than asked for fails the pull from that peer only.
    private nonisolated func fetch(after vector: [NodeID: Int64], excluding excluded: Set<NodeID>, from peer: PeerClient.Peer) async throws -> Batch {
        let request = SyncMessages.PullRequest(vector: vector, limit: batchSize, exclude: excluded)
        let answer = try await client.send("POST", "/v1/sync/pull", to: peer, body: try JSONEncoder().encode(request))
        guard answer.status == 200 else { throw SyncError.peer(status: answer.status, body: String(buffer: answer.body)) }
        let response: SyncMessages.PullResponse
        do { response = try JSONDecoder().decode(SyncMessages.PullResponse.self, from: Data(buffer: answer.body)) } catch {
            throw SyncError.malformed("the pull answer is not a page of events")
        }
        guard response.events.count <= batchSize else { throw SyncError.malformed("the pull answer holds \(response.events.count) events, \(batchSize) were asked for") }
        let theirs = try SyncMessages.nodeVector(response.vector, field: "vector")
        // Each event is parsed on its own: one this build cannot read (a newer node's, a
        // hostile one) ends the page before it, so its origin's chain waits at it (a gap
        // refuses what follows) while the events before it import.
        var events: [SignedEvent] = []
        for wire in response.events {
            guard let event = try? wire.signedEvent() else {
                guard !events.isEmpty else { throw SyncError.malformed("the pull answer's first event cannot be read") }
                return Batch(response: response, events: events, vector: theirs, truncated: true)
            }
            events.append(event)
        }
        return Batch(response: response, events: events, vector: theirs, truncated: false)
    }

    /// Events the peer holds that this node does not, by the two vectors (both checked to
    /// lie within ``SyncMessages/maximumSequence``, so the sum cannot overflow).
    static func lag(theirs: [NodeID: Int64], ours: [NodeID: Int64]) -> Int64 {
        theirs.reduce(0) { $0 + max(0, $1.value - ours[$1.key, default: 0]) }
    }

    /// `vector` once `events` (in origin order) are held: each origin's contiguous sequence extended.
    static func vector(_ vector: [NodeID: Int64], advancedBy events: [SignedEvent]) -> [NodeID: Int64] {
        var advanced = vector
        for event in events where event.envelope.originSeq == advanced[event.envelope.originNode, default: 0] + 1 {
            advanced[event.envelope.originNode] = event.envelope.originSeq
        }
        return advanced
    }
}
