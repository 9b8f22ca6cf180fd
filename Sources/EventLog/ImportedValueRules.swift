import CaseDomain

extension EventValueRules {
    /// Why an imported event could not have been written by a node keeping these rules
    /// (so it is quarantined on its own), or `nil`.
    func violation(ofImported event: SignedEvent) -> Violation? {
        let envelope = event.envelope
        do throws(Violation) {
            try check(eventBytes: event.canonicalBytes.count)
            guard Self.schemaVersions.contains(envelope.schemaVersion) else {
                throw Violation(field: "schemaVersion", reason: "schema versions are \(Self.schemaVersions)")
            }
            guard StreamID.isWellFormed(envelope.streamId) else {
                throw Violation(field: "streamId", reason: "1 to \(StreamID.maximumLength) lowercase letters, digits and '-'")
            }
            try Self.check(type: envelope.type, staff: envelope.actor.staff)
            try Self.check(body: envelope.body)
        } catch {
            return error
        }
        return nil
    }
}
