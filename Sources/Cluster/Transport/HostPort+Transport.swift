import Config

extension HostPort {
    /// Parses `HOST:PORT` as a transport error (see `Config.HostPort(parsing:)`).
    static func parse(_ text: String) throws(TransportError) -> HostPort {
        do { return try HostPort(parsing: text) } catch { throw .badAddress(text, reason: error.reason) }
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs, CRs and LFs.
    var trimmedWhitespace: String {
        let blank: Set<Unicode.Scalar> = [" ", "\t", "\r", "\n"]
        var scalars = Substring(self).unicodeScalars
        while let f = scalars.first, blank.contains(f) { scalars.removeFirst() }
        while let l = scalars.last, blank.contains(l) { scalars.removeLast() }
        return String(scalars)
    }
}
