import Hashing
/// HKDF with HMAC-SHA256 (RFC 5869): turns a shared secret and public context into keys.
///
/// The cluster derives each connection's two sealing keys with it, from the token and both
/// handshake nonces.
public enum HKDF {
    /// Extract: a pseudorandom key from input keying material and a salt (empty: 32 zero bytes).
    public static func extract(salt: [UInt8], inputKey: [UInt8]) -> [UInt8] {
        HMACSHA256.mac(key: salt.isEmpty ? [UInt8](repeating: 0, count: SHA256.digestCount) : salt, message: inputKey)
    }

    /// Expand: `count` bytes (at most 255 · 32) of output keying material bound to `info`.
    public static func expand(pseudorandomKey: [UInt8], info: [UInt8], count: Int) -> [UInt8] {
        precondition(count <= 255 * SHA256.digestCount, "HKDF-SHA256 yields at most 8160 bytes")
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var previous: [UInt8] = []
        var index: UInt8 = 1
        while out.count < count {
            previous = HMACSHA256.mac(key: pseudorandomKey, message: previous + info + [index])
            out += previous.prefix(count - out.count)
            index &+= 1
        }
        return out
    }

    /// Extract then expand.
    public static func derive(inputKey: [UInt8], salt: [UInt8], info: [UInt8], count: Int) -> [UInt8] {
        expand(pseudorandomKey: extract(salt: salt, inputKey: inputKey), info: info, count: count)
    }
}
