import Testing

/// Reads a staff page the way a browser's tokenizer would, scalar by scalar, and records an
/// issue for anything that is not our own markup: a tag or an attribute the pages never
/// write, an unquoted or unterminated attribute value, a raw `>` or a bare `&` in text.
/// Text that came from a request or another node can only pass it escaped.
enum MarkupCheck {
    /// Every element the pages write.
    static let tags: Set<String> = [
        "!doctype", "html", "head", "meta", "title", "style", "body", "header", "strong", "nav", "a", "span", "form", "input",
        "button", "main", "h1", "h2", "h3", "p", "label", "select", "option", "table", "thead", "tbody", "tr", "th", "td",
        "dl", "dt", "dd", "fieldset", "legend", "textarea", "svg", "text", "rect", "datalist",
    ]
    /// Every attribute the pages write.
    static let attributes: Set<String> = [
        "html", "lang", "charset", "name", "content", "href", "class", "method", "action", "type", "value", "id", "role", "rel",
        "selected", "checked", "required", "rows", "cols", "min", "max", "data-kind", "data-field", "width", "height", "xmlns",
        "font-size", "x", "y", "fill", "title", "data-type", "data-phase", "data-centre", "data-role", "enctype", "multiple", "accept", "maxlength", "list",
        "data-lawyer", "data-active",
    ]
    static let entities = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]

    /// Whether `text` starts with one of `entities`, compared scalar by scalar (a combining
    /// mark after the `;` must not hide it).
    static func startsEntity(_ text: some Collection<Unicode.Scalar>) -> Bool {
        entities.contains { text.starts(with: $0.unicodeScalars) }
    }

    /// Records an issue naming `page` and the offending place for each violation.
    static func verify(_ html: String, page: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let scalars = Array(html.unicodeScalars)
        var index = 0
        func context(_ at: Int) -> String {
            String(String.UnicodeScalarView(scalars[max(0, at - 40)..<min(scalars.count, at + 60)]))
        }
        func fail(_ why: String, _ at: Int) {
            Issue.record("\(page): \(why) at scalar \(at): …\(context(at))…", sourceLocation: sourceLocation)
        }
        func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "!"
        }
        func name(from start: Int) -> (String, Int) {
            var end = start
            while end < scalars.count, isNameScalar(scalars[end]) { end += 1 }
            return (String(String.UnicodeScalarView(scalars[start..<end])).lowercased(), end)
        }
        var metas = 0
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "<":
                var cursor = index + 1
                if cursor < scalars.count, scalars[cursor] == "/" { cursor += 1 }
                let (tag, afterName) = name(from: cursor)
                guard tags.contains(tag) else { fail("a tag the pages never write (<\(tag))", index); return }
                if tag == "meta" { metas += 1 }
                cursor = afterName
                while true {
                    while cursor < scalars.count, scalars[cursor] == " " || scalars[cursor] == "\n" { cursor += 1 }
                    guard cursor < scalars.count else { fail("an unterminated tag", index); return }
                    if scalars[cursor] == ">" { break }
                    let (attribute, afterAttribute) = name(from: cursor)
                    guard attributes.contains(attribute) else { fail("an attribute the pages never write (\(attribute))", cursor); return }
                    cursor = afterAttribute
                    guard cursor < scalars.count, scalars[cursor] == "=" else { continue }
                    cursor += 1
                    guard cursor < scalars.count, scalars[cursor] == "\"" else { fail("an unquoted attribute value", cursor); return }
                    cursor += 1
                    while cursor < scalars.count, scalars[cursor] != "\"" {
                        if scalars[cursor] == "<" || scalars[cursor] == ">" { fail("a raw angle bracket in an attribute value", cursor) }
                        cursor += 1
                    }
                    cursor += 1
                }
                index = cursor + 1
            case ">":
                fail("a raw > in text", index)
                index += 1
            case "&":
                if !startsEntity(scalars[index...]) { fail("a bare & in text", index) }
                index += 1
            default:
                index += 1
            }
        }
        #expect(metas == 2, "\(page): the page's own two <meta> elements only, found \(metas)", sourceLocation: sourceLocation)
    }
}
