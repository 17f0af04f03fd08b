import Hashing
/// HMAC-SHA256 (RFC 2104 / FIPS 198-1) and a constant-time comparison.
///
/// The cluster's challenge-response proves knowledge of the shared token with
/// `HMACSHA256.mac(key: token, message: label ‖ nonces)`; the token itself never
/// crosses the wire.
public enum HMACSHA256 {
    /// The 32-byte MAC of `message` under `key` (any length; longer than 64 bytes is hashed first).
    public static func mac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var k = key.count > SHA256.blockCount ? SHA256.hash(key) : key
        k += [UInt8](repeating: 0, count: SHA256.blockCount - k.count)
        var inner = SHA256()
        inner.update(k.map { $0 ^ 0x36 })
        inner.update(message)
        let innerDigest = inner.finalize()
        var outer = SHA256()
        outer.update(k.map { $0 ^ 0x5c })
        outer.update(innerDigest)
        return outer.finalize()
    }

    /// Compares two MACs in time independent of where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
