/// What one city decided for itself: the differences the federation records and honours
/// (DOMAIN.md: each city keeps its own hardship threshold, subsidy standard and special-group
/// preferences). Configuration, not code: it comes from the federation file, under its node.
public struct CityPolicy: Sendable, Hashable, Codable {
    /// Monthly income per household member below which an applicant counts as in
    /// hardship under this city's standard, in fen.
    public var hardshipThreshold: Int64
    /// Special groups exempt from the hardship review, e.g. `migrant-worker`, `minor`.
    public var exemptGroups: Set<String>
    /// Days to decide once the materials are complete (the law: 7).
    public var decisionDays: Int
    /// Days to assign a lawyer once aid is granted (the law: 3).
    public var lawyerAssignmentDays: Int
    /// Days the applicant has to supply missing materials before the application is deemed withdrawn.
    public var materialsDays: Int
    /// Whether deadlines count working days (skipping weekends and `holidays`) or calendar days.
    public var countsWorkingDays: Bool
    /// Public holidays, as `YYYY-MM-DD` in China Standard Time.
    public var holidays: Set<String>
    /// The lawyer subsidy this city pays as the aided location, in fen, by cause of action.
    public var subsidyByCause: [String: Int64]
    /// The subsidy for a cause the schedule does not list, in fen.
    public var defaultSubsidy: Int64
    /// Days an archived case file is kept before its personal data may be erased; `nil`
    /// for ``defaultRetentionDays``.
    public var retentionDays: Int?
    /// Days a centre of this city has to accept or return a transfer sent to it, so that an
    /// incoming transfer carries a due date; `nil` for ``defaultTransferAnswerDays``.
    public var transferAnswerDays: Int?

    /// Fifteen years, when a city names no retention period of its own.
    public static let defaultRetentionDays = 15 * 365
    /// Three days to answer a transfer (accept it or send it back), when a city names none.
    public static let defaultTransferAnswerDays = 3

    /// The days to answer a transfer.
    public var transferAnswer: Int { transferAnswerDays ?? Self.defaultTransferAnswerDays }

    /// The retention period in days.
    public var retention: Int { retentionDays ?? Self.defaultRetentionDays }

    public init(
        hardshipThreshold: Int64 = 0, exemptGroups: Set<String>, decisionDays: Int = 7, lawyerAssignmentDays: Int = 3,
        materialsDays: Int = 15, countsWorkingDays: Bool = false, holidays: Set<String> = [],
        subsidyByCause: [String: Int64] = [:], defaultSubsidy: Int64
    ) {
        self.hardshipThreshold = hardshipThreshold
        self.exemptGroups = exemptGroups
        self.decisionDays = decisionDays
        self.lawyerAssignmentDays = lawyerAssignmentDays
        self.materialsDays = materialsDays
        self.countsWorkingDays = countsWorkingDays
        self.holidays = holidays
        self.subsidyByCause = subsidyByCause
        self.defaultSubsidy = defaultSubsidy
    }

    /// The subsidy owed for a case of `cause` aided in this city, in fen.
    public func subsidy(forCause cause: String) -> Int64 {
        subsidyByCause[cause] ?? defaultSubsidy
    }

    /// The instant `days` days after `start` by this city's counting: calendar days, or
    /// working days that skip Saturdays, Sundays and holidays (dates in China Standard Time).
    public func deadline(after start: Timestamp, days: Int) -> Timestamp {
        let day: Int64 = 86_400_000
        guard countsWorkingDays else {
            return start.adding(days: Int64(days))
        }
        var instant = start
        var counted = 0
        while counted < days {
            instant = instant.adding(milliseconds: day)
            if isWorkingDay(instant) { counted += 1 }
        }
        return instant
    }

    /// Whether the China Standard Time date of `instant` is a working day here.
    public func isWorkingDay(_ instant: Timestamp) -> Bool {
        let chinaTime = instant.adding(milliseconds: 8 * 3_600_000)
        let (days, _) = chinaTime.millisecondsSinceEpoch.quotientAndRemainder(dividingBy: 86_400_000)
        let weekday = ((days % 7) + 7 + 4) % 7  // 1970-01-01 was a Thursday (4); 0 is Sunday
        guard weekday != 0, weekday != 6 else { return false }
        return !holidays.contains(String(chinaTime.description.prefix(10)))
    }
}
