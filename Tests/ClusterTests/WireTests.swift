import Datasets
import Testing
@testable import Cluster
import Hashing

/// One instance of every message kind, with non-trivial contents.
func sampleMessages() -> [Message] {
    let nonce = [UInt8](repeating: 7, count: 32)
    let digest = SHA256.hash([1, 2, 3])
    return [
        .hello(Hello(role: .worker, name: "büro-pc", nonce: nonce, dataPort: 40123, threads: 2, ringGeneration: 3, workerID: 9)),
        .challenge(Challenge(nonce: nonce)),
        .proof(Proof(proof: [UInt8](repeating: 2, count: 32))),
        .welcome(Welcome(workerID: 4, runName: "horse2zebra")),
        .refused(Refused(reason: "wrong token")),
        .heartbeat(12345),
        .bye("shutting down"),
        .config(ConfigMessage(json: Array("{\"name\":\"x\"}".utf8))),
        .blobs([Blob(bytes: [1, 2, 3]), Blob(bytes: [])]),
        .blobRequest(BlobRequest(digests: [digest, SHA256.hash([4])])),
        .stateRequest(StateRequest(step: 17)),
        .stateBegin(StateBegin(step: 17, optimizerSteps: [17, 17], floatCount: 1000, crc: 0xdeadbeef)),
        .stateChunk(StateChunk(offset: 500, values: [1, -2, .infinity, 0.5])),
        .stepPlan(StepPlan(step: 3, epoch: 1, learningRate: 2e-4, globalBatch: 4, ringGeneration: 2,
                           ring: [RingMember(workerID: 1, host: "10.0.0.2", port: 7071), RingMember(workerID: 2, host: "::1", port: 7072)],
                           slots: [SlotTicket(slot: 2, epoch: 1, sampleIndex: 10, blobs: [digest, digest], plan: [1, 0, 255])])),
        .firstPassResults(SlotResults(step: 3, generation: 2, payloads: [SlotPayload(slot: 0, values: [1, 2]), SlotPayload(slot: 1, values: [])], seconds: 0.25)),
        .exchanged(SlotResults(step: 3, generation: 2, payloads: [SlotPayload(slot: 1, values: [3])], seconds: 0)),
        .reduced(Reduced(step: 3, generation: 2, gradientCRC: 99, losses: [0.1, 0.2], computeSeconds: 1.5, reduceSeconds: 0.5, reduceWaitSeconds: 0.25)),
        .stepFailed(StepFailed(step: 3, generation: 2, reason: "ring link to worker 2 closed")),
        .commit(3),
        .abort(Abort(step: 3, generation: 2, reason: "worker 2 died")),
        .parameterChecksum(ParameterChecksum(step: 10, crc: 0x1234)),
        .ringChunk(RingChunk(step: 3, sequence: 5, values: (0..<100).map { Float($0) * 0.5 })),
        .validationRequest(ValidationRequest(epoch: 1, step: 10, items: [ValidationItem(name: "a.jpg", domain: 0, digest: digest)])),
        .validationResult(ValidationResult(epoch: 1, name: "a.png", png: [137, 80, 78, 71])),
    ]
}

@Suite struct MessageEncodingTests {
    @Test func everyMessageKindRoundTrips() throws {
        let messages = sampleMessages()
        #expect(Set(messages.map(\.kind)) == Set(MessageKind.allCases), "the sample covers every kind")
        for m in messages {
            let frame = m.frame()
            #expect(frame.kind == m.kind.rawValue)
            #expect(try Message(frame: frame) == m)
        }
    }

    @Test func everyTruncationOfEveryMessageThrowsInsteadOfCrashing() {
        for m in sampleMessages() {
            let frame = m.frame()
            for cut in 0..<frame.payload.count {
                let short = Frame(kind: frame.kind, payload: Array(frame.payload[..<cut]))
                #expect(throws: WireError.self) { try Message(frame: short) }
            }
        }
    }

    @Test func trailingBytesAreRejected() {
        var frame = Message.commit(3).frame()
        frame.payload.append(0)
        #expect(throws: WireError.trailingBytes(kind: "commit", count: 1)) { try Message(frame: frame) }
    }

    @Test func unknownKindAndBadValuesAreNamed() {
        #expect(throws: WireError.unknownKind(200)) { try Message(frame: Frame(kind: 200, payload: [])) }
        var w = WireWriter(); w.write(UInt32(2)); w.writeFixed([0xff, 0xfe])
        do {
            _ = try Message(frame: Frame(kind: MessageKind.bye.rawValue, payload: w.bytes))
            Issue.record("invalid UTF-8 accepted")
        } catch {
            #expect(error.description.contains("bye.reason"))
        }
    }

    @Test func blobWhoseBytesDoNotMatchTheirDigestIsRejected() {
        let frame = Message.blobs([Blob(digest: SHA256.hash([9]), bytes: [1, 2])]).frame()
        #expect(throws: WireError.self) { try Message(frame: frame) }
    }

    @Test func hugeDeclaredCountsFailWithoutAllocating() {
        var w = WireWriter(); w.write(3); w.write(1); w.write(0.5); w.write(UInt32.max)
        #expect(throws: WireError.self) { try Message(frame: Frame(kind: MessageKind.firstPassResults.rawValue, payload: w.bytes)) }
    }
}

@Suite struct FrameDecoderTests {
    @Test func anySplitOrMergeOfReadsYieldsTheSameFrames() throws {
        let frames = sampleMessages().map { $0.frame() }
        let stream = frames.flatMap { $0.encoded() }
        var rng = SplitMix64(seed: 42)
        for _ in 0..<200 {
            var decoder = FrameDecoder()
            var got: [Frame] = []
            var i = 0
            while i < stream.count {
                let n = Int.random(in: 1...max(1, Int.random(in: 1...3, using: &rng) == 1 ? 2000 : 40), using: &rng)
                let end = min(stream.count, i + n)
                decoder.append(stream[i..<end])
                i = end
                while let f = try decoder.next() { got.append(f) }
            }
            #expect(got == frames)
            #expect(decoder.bufferedCount == 0)
        }
    }

    @Test func incompleteFrameConsumesNothing() throws {
        let bytes = Message.commit(1).frame().encoded()
        var decoder = FrameDecoder()
        decoder.append(bytes.dropLast())
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedCount == bytes.count - 1)
        #expect(decoder.bytesWanted == 1)
        decoder.append(bytes.suffix(1))
        #expect(try decoder.next() == Message.commit(1).frame())
    }

    @Test func oversizeHeaderIsRejectedBeforeThePayloadArrives() {
        var decoder = FrameDecoder(maxPayload: 1000)
        var header: [UInt8] = []
        Frame.appendHeader(to: &header, kind: MessageKind.ringChunk.rawValue, payloadCount: 1001, crc: 0)
        decoder.append(header)
        #expect(throws: WireError.frameTooLarge(length: 1001, limit: 1000)) { try decoder.next() }
    }

    @Test func corruptedPayloadFailsItsChecksum() {
        var bytes = Message.ringChunk(RingChunk(step: 1, sequence: 0, values: [1, 2, 3])).frame().encoded()
        bytes[bytes.count - 2] ^= 0x10
        var decoder = FrameDecoder()
        decoder.append(bytes)
        #expect(throws: WireError.self) { try decoder.next() }
    }

    @Test func nonZeroReservedBitsAreRejected() {
        var bytes = Message.commit(1).frame().encoded()
        bytes[6] = 1
        var decoder = FrameDecoder()
        decoder.append(bytes)
        #expect(throws: WireError.self) { try decoder.next() }
    }

    @Test func randomAndMutatedStreamsNeverCrash() {
        var rng = SplitMix64(seed: 1)
        let valid = sampleMessages().map { $0.frame().encoded() }
        var decodedMessages = 0
        for round in 0..<3000 {
            var bytes: [UInt8]
            if round % 3 == 0 {
                bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                bytes = valid[Int.random(in: 0..<valid.count, using: &rng)]
                for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                if round % 3 == 2 {
                    // Re-seal the mutated payload so it passes the CRC and reaches the message decoder.
                    let payload = Array(bytes.dropFirst(Frame.headerSize))
                    bytes = Frame(kind: bytes[4], payload: payload).encoded()
                }
            }
            var decoder = FrameDecoder(maxPayload: 1 << 16)
            decoder.append(bytes)
            do {
                while let f = try decoder.next() {
                    if (try? Message(frame: f)) != nil { decodedMessages += 1 }
                }
            } catch {}
        }
        #expect(decodedMessages > 0)
    }

    @Test func preambleCarriesMagicAndVersion() throws {
        #expect(try Preamble.parse(Preamble.bytes()) == Preamble.version)
        #expect(try Preamble.parse(Preamble.bytes(version: 7)) == 7)
        #expect(throws: WireError.self) { try Preamble.parse(Array("GET / HT".utf8)) }
    }
}
