/// How an envelope field is copied into its query column. The signed bytes in `envelope`
/// are the truth; the columns are copies for queries. An event quarantined for its values
/// may hold what a column cannot (PostgreSQL text holds no U+0000, `schema_version` is a
/// 32-bit integer), so its copies are made storable: NUL becomes U+FFFD, text is cut to
/// 256 scalars, the version is clamped. Accepted events' copies are always exact.
enum StoredColumns {
    static func text(_ value: String, quarantined: Bool) -> String {
        guard quarantined else { return value }
        var scalars = String.UnicodeScalarView()
        for scalar in value.unicodeScalars.prefix(256) { scalars.append(scalar.value == 0 ? "\u{FFFD}" : scalar) }
        return String(scalars)
    }

    static func schemaVersion(_ value: Int, quarantined: Bool) -> Int {
        quarantined ? min(max(value, 0), Int(Int32.max)) : value
    }
}
