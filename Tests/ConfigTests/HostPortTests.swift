import Testing
@testable import Config

@Suite struct HostPortTests {
    @Test(arguments: [
        ("127.0.0.1:8080", "127.0.0.1", 8080, true, false),
        ("0.0.0.0:0", "0.0.0.0", 0, false, true),
        ("localhost:65535", "localhost", 65535, true, false),
        ("node-1.lan:7070", "node-1.lan", 7070, false, false),
        ("[::1]:80", "::1", 80, true, false),
        ("[::]:80", "::", 80, false, true),
        ("192.168.1.20:7070", "192.168.1.20", 7070, false, false),
    ])
    func validAddresses(text: String, host: String, port: Int, loopback: Bool, wildcard: Bool) throws {
        let address = try HostPort(parsing: text)
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.isLoopback == loopback)
        #expect(address.isWildcard == wildcard)
        #expect(address.description == text)
    }

    @Test(arguments: ["", "8080", ":8080", "host:", "host:-1", "host:65536", "host:80a", "256.0.0.1:80",
                      "1.2.3:80", "::1:80", "[::1]80", "[::1:80", "bad_host:80", "-x:80", "h:+80", "[zz::]:1"])
    func invalidAddresses(text: String) {
        #expect(throws: HostPortError.self) { try HostPort(parsing: text) }
    }
}
