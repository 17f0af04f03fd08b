/// AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8): ChaCha20 encryption with a Poly1305 tag over
/// the additional data and the ciphertext.
///
/// `Stream` seals or opens one message piece by piece (the ring's float chunks are read
/// from the socket straight into place); it works in slices of `sliceBytes` so the MAC
/// reads what the cipher just wrote while it is still in L1.
///
///     var s = ChaCha20Poly1305.Stream(key: k, nonce: n, aad: header)
///     s.seal(from: plain, to: out, count: n)
///     let tag = s.tag()
public enum ChaCha20Poly1305 {
    /// Tag length in bytes.
    public static let tagCount = Poly1305.tagCount
    /// Bytes enciphered before they are authenticated (or the reverse).
    static let sliceBytes = 8 << 10

    /// One message being sealed or opened.
    public struct Stream: Sendable {
        private let cipher: ChaCha20
        private var mac: Poly1305
        private let aadCount: Int
        private var bodyCount = 0

        /// Starts a message under `cipher`'s key and nonce with additional data `aad`.
        init(cipher: ChaCha20, aad: UnsafeRawBufferPointer) {
            self.cipher = cipher
            let oneTimeKey = cipher.block(counter: 0)
            mac = oneTimeKey.withUnsafeBytes { Poly1305(key: UnsafeRawBufferPointer(rebasing: $0[0..<Poly1305.keyCount])) }
            mac.update(aad)
            mac.padToBlock()
            aadCount = aad.count
        }

        /// Starts a message under `key` (32 bytes) and `nonce` (12 bytes) with additional data `aad`.
        public init(key: [UInt8], nonce: [UInt8], aad: [UInt8]) {
            let cipher = ChaCha20(key: key, nonce: nonce)
            self = aad.withUnsafeBytes { Stream(cipher: cipher, aad: $0) }
        }

        /// Enciphers the next `count` bytes of the message from `src` into `dst` (may be the same) and authenticates them.
        public mutating func seal(from src: UnsafeRawPointer, to dst: UnsafeMutableRawPointer, count: Int) {
            var done = 0
            while done < count {
                let n = min(sliceBytes, count - done)
                cipher.xor(from: src + done, to: dst + done, count: n, counter: 1, offset: bodyCount)
                mac.update(UnsafeRawBufferPointer(start: dst + done, count: n))
                done += n; bodyCount += n
            }
        }

        /// Authenticates the next `count` ciphertext bytes at `src` and deciphers them into `dst` (may be the same).
        /// Nothing deciphered may be trusted before `tag()` matched.
        public mutating func open(from src: UnsafeRawPointer, to dst: UnsafeMutableRawPointer, count: Int) {
            var done = 0
            while done < count {
                let n = min(sliceBytes, count - done)
                mac.update(UnsafeRawBufferPointer(start: src + done, count: n))
                cipher.xor(from: src + done, to: dst + done, count: n, counter: 1, offset: bodyCount)
                done += n; bodyCount += n
            }
        }

        /// The 16-byte tag over the additional data and every byte sealed or opened.
        public mutating func tag() -> [UInt8] {
            mac.padToBlock()
            var lengths = (UInt64(aadCount).littleEndian, UInt64(bodyCount).littleEndian)
            withUnsafeBytes(of: &lengths) { mac.update($0) }
            return mac.finalize()
        }
    }

    /// `plaintext` sealed: the ciphertext followed by the 16-byte tag.
    public static func seal(key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: [UInt8]) -> [UInt8] {
        var stream = Stream(key: key, nonce: nonce, aad: aad)
        var out = plaintext
        out.withUnsafeMutableBytes { buf in
            if let base = buf.baseAddress { stream.seal(from: base, to: base, count: buf.count) }
        }
        return out + stream.tag()
    }

    /// The plaintext of `sealed` (ciphertext ‖ tag), or nil when the tag does not match.
    public static func open(key: [UInt8], nonce: [UInt8], aad: [UInt8], sealed: [UInt8]) -> [UInt8]? {
        guard sealed.count >= tagCount else { return nil }
        var stream = Stream(key: key, nonce: nonce, aad: aad)
        var out = Array(sealed.dropLast(tagCount))
        out.withUnsafeMutableBytes { buf in
            if let base = buf.baseAddress { stream.open(from: base, to: base, count: buf.count) }
        }
        guard HMACSHA256.constantTimeEqual(stream.tag(), Array(sealed.suffix(tagCount))) else { return nil }
        return out
    }
}
