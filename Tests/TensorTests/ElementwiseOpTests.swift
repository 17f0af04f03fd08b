import Foundation
import Testing
@testable import Tensor

@Suite struct ElementwiseOpTests {
    // 4 * 3 * 5 * 37 = 2220 elements: several SIMD vectors and a scalar tail.
    static let shape: TensorShape = [4, 3, 5, 37]

    @Test func reluMatchesDefinition() throws {
        try checkOp("relu", [Operand(Self.shape, seed: 31, awayFromZero: 0.01)]) { p in relu(p[0]) } reference: { v in
            v[0].map { max($0, 0) }
        }
    }

    @Test func leakyReluMatchesDefinition() throws {
        try checkOp("leakyRelu", [Operand(Self.shape, seed: 32, awayFromZero: 0.01)]) { p in leakyRelu(p[0], slope: 0.2) } reference: { v in
            v[0].map { $0 > 0 ? $0 : 0.2 * $0 }
        }
    }

    @Test func tanhMatchesDefinition() throws {
        try checkOp("tanh", [Operand(Self.shape, seed: 33)]) { p in tanh(p[0]) } reference: { v in
            v[0].map { Foundation.tanh($0) }
        }
    }

    @Test func addSubScaleMatchDefinitions() throws {
        let operands = [Operand(Self.shape, seed: 34), Operand(Self.shape, seed: 35)]
        try checkOp("add", operands) { p in try add(p[0], p[1]) } reference: { v in zip(v[0], v[1]).map(+) }
        try checkOp("sub", operands) { p in try sub(p[0], p[1]) } reference: { v in zip(v[0], v[1]).map(-) }
        try checkOp("scale", [operands[0]]) { p in scale(p[0], by: -1.5) } reference: { v in v[0].map { $0 * -1.5 } }
    }

    @Test func elementwiseShapeMismatchThrows() {
        let a = Tensor(zeros: [2, 3]), b = Tensor(zeros: [3, 2])
        #expect(throws: TensorError.self) { try add(a, b) }
        #expect(throws: TensorError.self) { try sub(a, b) }
        #expect(throws: TensorError.self) { try l1Loss(a, b) }
        #expect(throws: TensorError.self) { try mseLoss(a, b) }
    }

    @Test func reflectionPadMatchesDefinition() throws {
        for (shape, pad) in [([2, 3, 5, 7], 2), ([1, 2, 6, 4], 3), ([1, 1, 2, 2], 1), ([1, 2, 4, 4], 0)] {
            try checkOp("reflectionPad2d \(shape) \(pad)", [Operand(TensorShape(shape), seed: 36)]) { p in
                try reflectionPad2d(p[0], pad)
            } reference: { v in Naive.reflectionPad2d(v[0], shape, pad) }
        }
        #expect(throws: TensorError.self) { try reflectionPad2d(Tensor(zeros: [1, 1, 3, 5]), 3) }
        #expect(throws: TensorError.self) { try reflectionPad2d(Tensor(zeros: [1, 3, 5]), 1) }
    }

    @Test func instanceNormMatchesDefinition() throws {
        for shape in [[2, 3, 5, 7], [1, 4, 9, 9]] {
            try checkOp("instanceNorm2d \(shape)", [Operand(TensorShape(shape), seed: 37)]) { p in
                try instanceNorm2d(p[0])
            } reference: { v in Naive.instanceNorm2d(v[0], shape, eps: 1e-5) }
        }
        #expect(throws: TensorError.self) { try instanceNorm2d(Tensor(zeros: [4, 4])) }
    }

    @Test func reductionsAndLossesMatchDefinitions() throws {
        let a = Operand([2, 3, 7], seed: 38), b = Operand([2, 3, 7], seed: 39)
        try checkOp("mean", [a]) { p in mean(p[0]) } reference: { v in [v[0].reduce(0, +) / Double(v[0].count)] }
        try checkOp("l1Loss", [a, b]) { p in try l1Loss(p[0], p[1]) } reference: { v in
            [zip(v[0], v[1]).map { abs($0 - $1) }.reduce(0, +) / Double(v[0].count)]
        }
        try checkOp("mseLoss", [a, b]) { p in try mseLoss(p[0], p[1]) } reference: { v in
            [zip(v[0], v[1]).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(v[0].count)]
        }
        try checkOp("mseLoss target", [a]) { p in mseLoss(p[0], target: 0.7) } reference: { v in
            [v[0].map { ($0 - 0.7) * ($0 - 0.7) }.reduce(0, +) / Double(v[0].count)]
        }
        #expect(mean(Tensor(zeros: [3, 4])).shape == [])
    }

    @Test func sliceAndConcatMatchDefinitions() throws {
        let a = Operand([3, 2, 4], seed: 40), b = Operand([2, 2, 4], seed: 41)
        try checkOp("concatBatch", [a, b]) { p in try concatBatch(p) } reference: { v in v[0] + v[1] }
        try checkOp("slice", [a]) { p in try p[0].slice(batch: 1, count: 2) } reference: { v in Array(v[0][8..<24]) }
        #expect(throws: TensorError.self) { try Tensor(zeros: [3, 2]).slice(batch: 2, count: 2) }
        #expect(throws: TensorError.self) { try Tensor(zeros: [3, 2]).slice(batch: -1, count: 1) }
        #expect(throws: TensorError.self) { try concatBatch([Tensor(zeros: [1, 2]), Tensor(zeros: [1, 3])]) }
        #expect(throws: TensorError.self) { try concatBatch([]) }
    }
}
