import Foundation
import Testing
@testable import Cluster

@Suite struct BackgroundReduceTests {
    @Test func waitReturnsTheWorksResultAfterItEndsAndAgainOnLaterCalls() {
        let release = DispatchSemaphore(value: 0)
        let reduce = BackgroundReduce { () throws(TransportError) -> RingTime in
            release.wait()
            return RingTime(transfer: 1.5, wait: 0.25)
        }
        #expect(!reduce.finished)
        release.signal()
        #expect((try? reduce.wait().get())?.transfer == 1.5)
        #expect(reduce.finished)
        let again = try? reduce.wait().get()
        #expect(again?.transfer == 1.5 && again?.wait == 0.25)
    }

    @Test func aFailedReduceReportsItsError() {
        let reduce = BackgroundReduce { () throws(TransportError) -> RingTime in
            throw .closed(peer: "worker 2")
        }
        switch reduce.wait() {
        case .success: Issue.record("a failing reduce reported success")
        case .failure(let error): #expect("\(error)".contains("worker 2"))
        }
    }

    @Test func stagingSlicesAreViewsOfOneBuffer() {
        let staging = GradientStaging(count: 10)
        #expect(staging.buffer.allSatisfy { $0 == 0 })
        let tail = staging[6..<10]
        tail[0] = 3
        #expect(staging.buffer[6] == 3 && tail.count == 4)
    }
}
