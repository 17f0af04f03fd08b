/// How plain scalars are typed (YAML 1.2 core schema, without the exotic forms)
/// and how strings are written back so that they read as the same string.
enum YAMLScalar {
    /// The kind of a plain (unquoted) scalar. Throws only for integer literals
    /// beyond `UInt64`/`Int` range, so a typo can't silently become a string.
    static func resolve(plain text: String) -> Result<YAMLNode.Value, ResolveFailure> {
        switch text {
        case "", "~", "null", "Null", "NULL": return .success(.null)
        case "true", "True", "TRUE": return .success(.bool(true))
        case "false", "False", "FALSE": return .success(.bool(false))
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .success(.float(.infinity))
        case "-.inf", "-.Inf", "-.INF": return .success(.float(-.infinity))
        case ".nan", ".NaN", ".NAN": return .success(.float(.nan))
        default: break
        }
        let scalars = Array(text.unicodeScalars)
        if isDecimalInteger(scalars) {
            if let v = Int(text) { return .success(.int(v)) }
            let digits = text.hasPrefix("+") ? String(text.dropFirst()) : text
            if let v = UInt64(digits) { return .success(.unsignedInt(v)) }
            return .failure(.integerOutOfRange)
        }
        if text.hasPrefix("0x") || text.hasPrefix("0o"), scalars.count > 2 {
            let radix = text.hasPrefix("0x") ? 16 : 8
            let digits = String(text.dropFirst(2))
            if digits.unicodeScalars.allSatisfy({ isDigit($0, radix: radix) }) {
                if let v = Int(digits, radix: radix) { return .success(.int(v)) }
                if let v = UInt64(digits, radix: radix) { return .success(.unsignedInt(v)) }
                return .failure(.integerOutOfRange)
            }
        }
        if isDecimalFloat(scalars), let v = Double(text) { return .success(.float(v)) }
        return .success(.string(text))
    }

    enum ResolveFailure: Error { case integerOutOfRange }

    /// `[-+]?[0-9]+`
    private static func isDecimalInteger(_ s: [Unicode.Scalar]) -> Bool {
        var i = 0
        if i < s.count, s[i] == "-" || s[i] == "+" { i += 1 }
        guard i < s.count else { return false }
        return s[i...].allSatisfy { isDigit($0, radix: 10) }
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    private static func isDecimalFloat(_ s: [Unicode.Scalar]) -> Bool {
        var i = 0
        func digits() -> Int {
            let start = i
            while i < s.count, isDigit(s[i], radix: 10) { i += 1 }
            return i - start
        }
        if i < s.count, s[i] == "-" || s[i] == "+" { i += 1 }
        let whole = digits()
        if i < s.count, s[i] == "." {
            i += 1
            let fraction = digits()
            if whole == 0 && fraction == 0 { return false }
        } else if whole == 0 {
            return false
        }
        if i < s.count, s[i] == "e" || s[i] == "E" {
            i += 1
            if i < s.count, s[i] == "-" || s[i] == "+" { i += 1 }
            if digits() == 0 { return false }
        }
        return i == s.count
    }

    static func isDigit(_ c: Unicode.Scalar, radix: Int) -> Bool {
        switch c {
        case "0"..."7": return true
        case "8", "9": return radix >= 10
        case "a"..."f", "A"..."F": return radix == 16
        default: return false
        }
    }

    /// Characters that may not start a plain scalar (YAML indicators).
    static let indicators: Set<Unicode.Scalar> = ["-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*",
                                                  "!", "|", ">", "'", "\"", "%", "@", "`"]

    /// `s` as YAML: plain when it would read back as the same string in block
    /// and flow context, double-quoted otherwise.
    static func render(string s: String) -> String {
        needsQuotes(s) ? doubleQuoted(s) : s
    }

    private static func needsQuotes(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return true }
        if case .success(let v) = resolve(plain: s), case .string = v {} else { return true }
        if indicators.contains(first) || first == " " || last == " " || last == ":" { return true }
        if s.contains(": ") || s.contains(" #") { return true }
        return s.unicodeScalars.contains { c in
            c.value < 0x20 || c.value == 0x7F || c == "," || c == "[" || c == "]" || c == "{" || c == "}"
                || c == "\t" || c.properties.generalCategory == .lineSeparator
                || c.properties.generalCategory == .paragraphSeparator || c.value == 0x85 || c.value == 0xFEFF
        }
    }

    /// `s` in double quotes with YAML escapes for quotes, backslashes and control characters.
    static func doubleQuoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            default:
                if c.value < 0x20 || c.value == 0x7F || c.value == 0x85 || c.value == 0xFEFF
                    || c.value == 0x2028 || c.value == 0x2029 {
                    let hex = String(c.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out + "\""
    }

    /// A float as YAML reads it back exactly (Swift's shortest round-tripping form).
    static func render(float v: Double) -> String {
        if v.isNaN { return ".nan" }
        if v.isInfinite { return v > 0 ? ".inf" : "-.inf" }
        let text = "\(v)"
        // "1e-10" and "10.0" both read back as floats; make sure an integral
        // value never prints as a bare integer.
        return text.contains(".") || text.contains("e") ? text : text + ".0"
    }
}
