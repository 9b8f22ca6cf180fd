import Hummingbird

extension Request {
    /// The query parameter `name` read by `parse`, or `nil` when the query does not name it.
    /// A value that is present is judged, an empty one too: `?to=` is a 422 naming `to`
    /// like `?to=yesterday`, never the default, so a client that sends a parameter gets
    /// what it asked for or a refusal. `expected` says what the value should be.
    func queryParameter<Value>(_ name: String, expected: String, _ parse: (String) -> Value?) throws(Problem) -> Value? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = parse(text) else { throw Problem.invalid(name, expected) }
        return value
    }
}
