import Datasets
import Testing
@testable import Cluster

/// RFC 8439 (ChaCha20, Poly1305, AEAD) and RFC 5869 (HKDF-SHA256) known answers,
/// and the vectorised paths checked against a one-block reference.
@Suite struct ChaCha20Tests {
    static let sunscreen = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)

    @Test func blockFunctionMatchesRFC8439Section232() {
        let cipher = ChaCha20(key: Array(0..<32), nonce: hexBytes("000000090000004a00000000"))
        #expect(cipher.block(counter: 1).hexString == "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
                + "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e")
    }

    @Test func encryptionMatchesRFC8439Section242() {
        let cipher = ChaCha20(key: Array(0..<32), nonce: hexBytes("000000000000004a00000000"))
        var out = Self.sunscreen
        out.withUnsafeMutableBytes { cipher.xor(from: $0.baseAddress!, to: $0.baseAddress!, count: $0.count, counter: 1) }
        #expect(out.hexString == "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
                + "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
                + "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
                + "5af90bbf74a35be6b40b8eedf2785e42874d")
    }

    /// RFC 8439 §2.3: one block, straight from the definition, for comparison.
    static func referenceBlock(key: [UInt8], nonce: [UInt8], counter: UInt32) -> [UInt8] {
        func word(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24 }
        var s: [UInt32] = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
        s += (0..<8).map { word(key, 4 * $0) }
        s += [counter] + (0..<3).map { word(nonce, 4 * $0) }
        var x = s
        func qr(_ a: Int, _ b: Int, _ c: Int, _ d: Int) {
            x[a] &+= x[b]; x[d] ^= x[a]; x[d] = x[d] << 16 | x[d] >> 16
            x[c] &+= x[d]; x[b] ^= x[c]; x[b] = x[b] << 12 | x[b] >> 20
            x[a] &+= x[b]; x[d] ^= x[a]; x[d] = x[d] << 8 | x[d] >> 24
            x[c] &+= x[d]; x[b] ^= x[c]; x[b] = x[b] << 7 | x[b] >> 25
        }
        for _ in 0..<10 {
            qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
            qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
        }
        return (0..<16).flatMap { i -> [UInt8] in
            let w = x[i] &+ s[i]
            return [UInt8(w & 0xff), UInt8(w >> 8 & 0xff), UInt8(w >> 16 & 0xff), UInt8(w >> 24)]
        }
    }

    @Test func eightBlockPathEqualsOneBlockReferenceAtAnyLengthAndOffset() {
        var rng = SplitMix64(seed: 19)
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let nonce = (0..<12).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let cipher = ChaCha20(key: key, nonce: nonce)
        let counter: UInt32 = 0xffff_fffc   // wraps inside an 8-block batch
        let stream = (0..<40).flatMap { Self.referenceBlock(key: key, nonce: nonce, counter: counter &+ UInt32($0)) }
        for (offset, count) in [(0, 2560), (0, 1024), (0, 512), (0, 1), (5, 1019), (64, 1100), (63, 2000), (511, 600), (700, 1200), (1024, 1024), (3, 0)] {
            var out = [UInt8](repeating: 0, count: count)
            out.withUnsafeMutableBytes { buf in
                if let base = buf.baseAddress { cipher.xor(from: base, to: base, count: count, counter: counter, offset: offset) }
            }
            #expect(out == Array(stream[offset..<(offset + count)]), "offset \(offset), \(count) bytes")
        }
    }
}

@Suite struct Poly1305Tests {
    @Test(arguments: [
        // RFC 8439 §2.5.2
        ("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
         Array("Cryptographic Forum Research Group".utf8).hexString, "a8061dc1305136c6c22b8baf0c0127a9"),
        // RFC 8439 A.3 #1 (zero key) and #5-#11 (carries, 2^130 - 5 edge cases)
        (String(repeating: "00", count: 32), String(repeating: "00", count: 64), String(repeating: "00", count: 16)),
        ("02" + String(repeating: "00", count: 31), String(repeating: "ff", count: 16), "03000000000000000000000000000000"),
        ("02" + String(repeating: "00", count: 15) + String(repeating: "ff", count: 16),
         "02000000000000000000000000000000", "03000000000000000000000000000000"),
        ("01" + String(repeating: "00", count: 31),
         "fffffffffffffffffffffffffffffffff0ffffffffffffffffffffffffffffff11000000000000000000000000000000",
         "05000000000000000000000000000000"),
        ("01" + String(repeating: "00", count: 31),
         "fffffffffffffffffffffffffffffffffbfefefefefefefefefefefefefefefe01010101010101010101010101010101",
         "00000000000000000000000000000000"),
        ("02" + String(repeating: "00", count: 31), "fdffffffffffffffffffffffffffffff", "faffffffffffffffffffffffffffffff"),
        ("0100000000000000040000000000000000000000000000000000000000000000",
         "e33594d7505e43b900000000000000003394d7505e4379cd01000000000000000000000000000000000000000000000001000000000000000000000000000000",
         "14000000000000005500000000000000"),
        ("0100000000000000040000000000000000000000000000000000000000000000",
         "e33594d7505e43b900000000000000003394d7505e4379cd010000000000000000000000000000000000000000000000",
         "13000000000000000000000000000000"),
    ])
    func tagMatchesRFC8439Vectors(key: String, message: String, tag: String) {
        #expect(Poly1305.mac(key: hexBytes(key), message: hexBytes(message)).hexString == tag)
    }

    /// Messages long enough for the four-blocks-at-a-time path, with its tail of single
    /// blocks and a partial last block. The tags were computed with integers of unbounded
    /// size straight from RFC 8439 §2.5.1 (Python's, once, outside the project): the
    /// all-0xff key and message keep every limb at its largest.
    @Test(arguments: [
        (1000, false, "3b68b95429aad32fbf052b35eb1a4926"),
        (65_541, false, "06bb0dc7f29d781bc237b75b5cdf11fc"),
        (1024, true, "25d4926a53bb480da228ec61e0a31a38"),
        (1023, true, "25d4ba385dbb70dbab281430eaa3420e"),
    ])
    func longMessagesMatchTheDefinition(count: Int, allOnes: Bool, tag: String) {
        let key = (0..<32).map { allOnes ? UInt8(0xff) : UInt8(truncatingIfNeeded: $0 * 29 + 3) }
        let message = (0..<count).map { allOnes ? UInt8(0xff) : UInt8(truncatingIfNeeded: $0 * 131 + 7) }
        #expect(Poly1305.mac(key: key, message: message).hexString == tag)
    }

    @Test func incrementalUpdatesInAnySplitEqualOneShot() {
        var rng = SplitMix64(seed: 5)
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let message = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let expected = Poly1305.mac(key: key, message: message)
        for split in [1, 7, 15, 16, 17, 100, 999] {
            var p = Poly1305(key: key)
            var i = 0
            while i < message.count {
                let end = min(message.count, i + split)
                p.update(Array(message[i..<end]))
                i = end
            }
            #expect(p.finalize() == expected, "split \(split)")
        }
    }
}

@Suite struct AEADTests {
    @Test func poly1305KeyGenerationMatchesRFC8439Section262() {
        let cipher = ChaCha20(key: (0x80...0x9f).map { UInt8($0) }, nonce: hexBytes("000000000001020304050607"))
        #expect(Array(cipher.block(counter: 0).prefix(32)).hexString
                == "8ad5a08b905f81cc815040274ab29471a833b637e3fd0da508dbb8e2fdd1a646")
    }

    @Test func sealMatchesRFC8439Section282() {
        let key = (0x80...0x9f).map { UInt8($0) }
        let nonce = hexBytes("070000004041424344454647"), aad = hexBytes("50515253c0c1c2c3c4c5c6c7")
        let sealed = ChaCha20Poly1305.seal(key: key, nonce: nonce, aad: aad, plaintext: ChaCha20Tests.sunscreen)
        #expect(sealed.hexString == "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                + "3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691")
        #expect(ChaCha20Poly1305.open(key: key, nonce: nonce, aad: aad, sealed: sealed) == ChaCha20Tests.sunscreen)
    }

    @Test func openMatchesRFC8439AppendixA5AndRefusesAnyChange() throws {
        let key = hexBytes("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0")
        let nonce = hexBytes("000000000102030405060708"), aad = hexBytes("f33388860000000000004e91")
        let sealed = hexBytes("64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
            + "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
            + "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
            + "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
            + "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
            + "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
            + "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
            + "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
            + "a6ad5cb4022b02709b" + "eead9d67890cbb22392336fea1851f38")
        let plain = try #require(ChaCha20Poly1305.open(key: key, nonce: nonce, aad: aad, sealed: sealed))
        #expect(String(decoding: plain, as: UTF8.self) == "Internet-Drafts are draft documents valid for a maximum of six months "
                + "and may be updated, replaced, or obsoleted by other documents at any time. It is inappropriate to use "
                + "Internet-Drafts as reference material or to cite them other than as /\u{201C}work in progress./\u{201D}")
        for i in [0, 100, sealed.count - 1] {
            var bad = sealed; bad[i] ^= 0x01
            #expect(ChaCha20Poly1305.open(key: key, nonce: nonce, aad: aad, sealed: bad) == nil)
        }
        var otherAAD = aad; otherAAD[0] ^= 0x80
        #expect(ChaCha20Poly1305.open(key: key, nonce: nonce, aad: otherAAD, sealed: sealed) == nil)
        #expect(ChaCha20Poly1305.open(key: key, nonce: hexBytes("000000000102030405060709"), aad: aad, sealed: sealed) == nil)
        #expect(ChaCha20Poly1305.open(key: key, nonce: nonce, aad: aad, sealed: Array(sealed.dropFirst())) == nil)
    }
}

@Suite struct HKDFTests {
    @Test func matchesRFC5869TestCase1() {
        let salt = hexBytes("000102030405060708090a0b0c"), ikm = [UInt8](repeating: 0x0b, count: 22)
        #expect(HKDF.extract(salt: salt, inputKey: ikm).hexString == "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        #expect(HKDF.derive(inputKey: ikm, salt: salt, info: hexBytes("f0f1f2f3f4f5f6f7f8f9"), count: 42).hexString
                == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }

    @Test func matchesRFC5869TestCase2() {
        let ikm = (0x00...0x4f).map { UInt8($0) }, salt = (0x60...0xaf).map { UInt8($0) }, info = (0xb0...0xff).map { UInt8($0) }
        #expect(HKDF.extract(salt: salt, inputKey: ikm).hexString == "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244")
        #expect(HKDF.derive(inputKey: ikm, salt: salt, info: info, count: 82).hexString
                == "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09"
                + "da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87")
    }

    @Test func matchesRFC5869TestCase3() {
        let ikm = [UInt8](repeating: 0x0b, count: 22)
        #expect(HKDF.extract(salt: [], inputKey: ikm).hexString == "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04")
        #expect(HKDF.derive(inputKey: ikm, salt: [], info: [], count: 42).hexString
                == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
    }
}
