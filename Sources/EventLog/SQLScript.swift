/// A migration file cut into its statements, since PostgreSQL's extended protocol runs
/// one statement per query. Quotes, dollar-quoted bodies and comments are respected.
struct SQLScript {
    /// One statement and the line it starts on (1-based), for error messages.
    struct Statement: Equatable {
        var text: String
        var line: Int
    }

    let statements: [Statement]

    /// Fails on an unterminated quote, dollar-quoted body or block comment.
    init(_ source: String) throws(SQLScriptError) {
        let characters = Array(source)
        var statements: [Statement] = []
        var current = ""
        var line = 1
        var statementLine = 1
        var index = 0
        var hasContent = false

        func finish() {
            let text = current.trimmingCharacters(in: " \t\r\n")
            if hasContent, !text.isEmpty { statements.append(Statement(text: text, line: statementLine)) }
            current = ""
            hasContent = false
        }
        func consume(until terminator: [Character], from start: Int, what: String, openedAt openLine: Int) throws(SQLScriptError) -> Int {
            var cursor = start
            while cursor < characters.count {
                if Array(characters[cursor..<min(cursor + terminator.count, characters.count)]) == terminator {
                    return cursor + terminator.count
                }
                cursor += 1
            }
            throw .unterminated(what, line: openLine)
        }

        while index < characters.count {
            let character = characters[index]
            let next: Character? = index + 1 < characters.count ? characters[index + 1] : nil
            var end = index + 1
            switch character {
            case "-" where next == "-":
                end = (characters[index...].firstIndex(of: "\n") ?? characters.count)
            case "/" where next == "*":
                end = try consume(until: ["*", "/"], from: index + 2, what: "block comment", openedAt: line)
            case "'", "\"":
                if !hasContent { statementLine = line }
                hasContent = true
                end = try consume(until: [character], from: index + 1, what: "quoted text", openedAt: line)
            case "$":
                if let tagEnd = characters[(index + 1)...].firstIndex(of: "$"),
                   characters[(index + 1)..<tagEnd].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
                   !(characters[(index + 1)..<tagEnd].first?.isNumber ?? false) {
                    if !hasContent { statementLine = line }
                    hasContent = true
                    let tag = Array(characters[index...tagEnd])
                    end = try consume(until: tag, from: tagEnd + 1, what: "dollar-quoted body", openedAt: line)
                }
            case ";":
                index += 1
                finish()
                continue
            default:
                if !character.isWhitespace, !hasContent {
                    hasContent = true
                    statementLine = line
                }
            }
            let piece = characters[index..<end]
            current.append(contentsOf: piece)
            line += piece.filter { $0 == "\n" }.count
            index = end
        }
        finish()
        self.statements = statements
    }
}

/// A migration file that cannot be cut into statements.
enum SQLScriptError: Error, Equatable, CustomStringConvertible {
    case unterminated(String, line: Int)

    var description: String {
        switch self {
        case .unterminated(let what, let line): "unterminated \(what) starting on line \(line)"
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let skip = Set(set)
        guard let first = firstIndex(where: { !skip.contains($0) }), let last = lastIndex(where: { !skip.contains($0) }) else { return "" }
        return String(self[first...last])
    }
}
