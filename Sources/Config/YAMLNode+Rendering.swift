extension YAMLNode {
    /// The node as block-style YAML that `YAMLNode.parse` reads back as an equal
    /// node: maps as `key: value` lines indented by two spaces, lists of scalars
    /// as flow lists, other lists as `- item` lines. An empty map has no YAML
    /// form in this subset and is written as `null`.
    public var yamlText: String {
        var lines: [String] = []
        switch value {
        case .map(let entries) where !entries.isEmpty:
            Self.renderEntries(entries, indent: 0, into: &lines)
        case .list(let items) where !Self.isFlowable(items):
            Self.renderItems(items, indent: 0, into: &lines)
        default:
            lines.append(inlineText)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A scalar or flow list on one line.
    var inlineText: String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let v): return "\(v)"
        case .unsignedInt(let v): return "\(v)"
        case .float(let v): return YAMLScalar.render(float: v)
        case .string(let s): return YAMLScalar.render(string: s)
        case .list(let items): return "[" + items.map(\.inlineText).joined(separator: ", ") + "]"
        case .map(let entries): return entries.isEmpty ? "null" : "<map>"  // never reached for non-empty maps
        }
    }

    /// Lists that fit on one line: only scalars and such lists.
    private static func isFlowable(_ items: [YAMLNode]) -> Bool {
        items.allSatisfy { item in
            switch item.value {
            case .map(let entries): return entries.isEmpty
            case .list(let inner): return isFlowable(inner)
            default: return true
            }
        }
    }

    private static func renderEntries(_ entries: [YAMLEntry], indent: Int, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for entry in entries {
            let key = pad + YAMLScalar.render(string: entry.key) + ":"
            switch entry.value.value {
            case .map(let inner) where !inner.isEmpty:
                lines.append(key)
                renderEntries(inner, indent: indent + 2, into: &lines)
            case .list(let items) where !isFlowable(items):
                lines.append(key)
                renderItems(items, indent: indent + 2, into: &lines)
            default:
                lines.append(key + " " + entry.value.inlineText)
            }
        }
    }

    private static func renderItems(_ items: [YAMLNode], indent: Int, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item.value {
            case .map(let inner) where !inner.isEmpty:
                // The first entry shares the "- " line; the others align with it.
                var nested: [String] = []
                renderEntries(inner, indent: indent + 2, into: &nested)
                lines.append(pad + "- " + nested[0].dropFirst(indent + 2))
                lines.append(contentsOf: nested.dropFirst())
            case .list(let inner) where !isFlowable(inner):
                lines.append(pad + "-")
                renderItems(inner, indent: indent + 2, into: &lines)
            default:
                lines.append(pad + "- " + item.inlineText)
            }
        }
    }
}
