import Testing
@testable import Tensor

@Suite struct AutogradTests {
    @Test("a module applied three times in one graph gets the sum of the three gradients")
    func moduleReusedThreeTimesGetsSummedGradient() throws {
        // A generator-like 3x3 conv applied as G(G(x)) + G(x2) (the CycleGAN pattern): one weight, three uses.
        let xs = [1, 2, 5, 5], ws = [2, 2, 3, 3]
        try checkOp("reused conv", [Operand(TensorShape(xs), seed: 61), Operand(TensorShape(ws), seed: 62), Operand([2], seed: 63),
                                    Operand(TensorShape(xs), seed: 64)]) { p in
            let g = { (x: Tensor) throws -> Tensor in tanh(try conv2d(x, weight: p[1], bias: p[2], stride: 1, padding: 1)) }
            return try add(try g(try g(p[0])), try g(p[3]))
        } reference: { v in
            let g = { (x: [Double]) -> [Double] in Naive.conv2d(x, xs, v[1], ws, v[2], stride: 1, padding: 1).map { Foundation.tanh($0) } }
            return zip(g(g(v[0])), g(v[3])).map(+)
        }
    }

    @Test func gradientsAccumulateAcrossBackwardCallsUntilZeroGrad() throws {
        let w = try Tensor.parameter(shape: [3], scalars: [1, 2, 3])
        try mean(scale(w, by: 3)).backward()
        #expect(try #require(w.grad).scalars == [1, 1, 1])
        try mean(scale(w, by: 3)).backward()
        #expect(try #require(w.grad).scalars == [2, 2, 2])
        w.zeroGrad()
        #expect(w.grad == nil)
        try mean(w).backward()
        expectClose(try #require(w.grad).scalars, [1.0 / 3, 1.0 / 3, 1.0 / 3], "grad after zeroGrad")
    }

    @Test func parameterUsedTwiceInOneOpGetsBothContributions() throws {
        let w = try Tensor.parameter(shape: [2], scalars: [1, -2])
        try mean(add(w, w)).backward()
        #expect(try #require(w.grad).scalars == [1, 1])
    }

    @Test func detachBlocksGradients() throws {
        let w1 = try Tensor.parameter(shape: [1, 1, 1, 1], scalars: [2])
        let w2 = try Tensor.parameter(shape: [1, 1, 1, 1], scalars: [3])
        let x = try Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        let y = try conv2d(x, weight: w1, bias: nil)
        let d = y.detach()
        #expect(!d.requiresGrad)
        #expect(d.scalars == y.scalars)
        try mean(conv2d(d, weight: w2, bias: nil)).backward()
        #expect(w1.grad == nil)
        expectClose(try #require(w2.grad).scalars, [5], "w2 grad") // mean of 2*x
    }

    @Test func noGradRecordsNothingAndKeepsNoSavedBuffers() throws {
        let w = try Tensor.parameter(shape: [2, 1, 3, 3], scalars: randomValues(18, seed: 65))
        weak var savedInput: TensorStorage?
        var output: Tensor?
        try GradMode.noGrad {
            #expect(!GradMode.isEnabled)
            let x = try Tensor(shape: [1, 1, 6, 6], scalars: randomValues(36, seed: 66))
            savedInput = x.storage
            output = try relu(conv2d(x, weight: w, bias: nil))
        }
        #expect(GradMode.isEnabled)
        let y = try #require(output)
        #expect(!y.requiresGrad)
        #expect(y.isLeaf)
        #expect(savedInput == nil, "no-grad mode must not keep the conv input alive")
        #expect(throws: TensorError.doesNotRequireGrad(shape: [])) { try mean(y).backward() }
    }

    @Test func backwardReleasesSavedBuffersAndASecondBackwardThrows() throws {
        let w = try Tensor.parameter(shape: [2, 1, 3, 3], scalars: randomValues(18, seed: 67))
        weak var savedInput: TensorStorage?
        var loss: Tensor?
        do {
            let x = try Tensor(shape: [1, 1, 6, 6], scalars: randomValues(36, seed: 68))
            savedInput = x.storage
            loss = mean(try conv2d(x, weight: w, bias: nil))
        }
        #expect(savedInput != nil, "the graph keeps the conv input for the weight gradient")
        let root = try #require(loss)
        try root.backward()
        #expect(savedInput == nil, "backward must release the saved input")
        #expect(w.grad != nil)
        #expect(throws: TensorError.graphReleased(op: "mean")) { try root.backward() }
    }

    @Test func frozenParametersGetNoGradientButInputsStillDo() throws {
        let w = try Tensor.parameter(shape: [1, 1, 1, 1], scalars: [2])
        let x = try Tensor.parameter(shape: [1, 1, 1, 2], scalars: [1, 3])
        try w.setRequiresGrad(false)
        try mean(conv2d(x, weight: w, bias: nil)).backward()
        #expect(w.grad == nil)
        #expect(try #require(x.grad).scalars == [1, 1])
        #expect(throws: TensorError.notALeaf(op: "setRequiresGrad")) { try scale(x, by: 2).setRequiresGrad(false) }
    }

    @Test func invalidConstructionAndScalarUseThrow() throws {
        #expect(throws: TensorError.scalarCountMismatch(op: "Tensor(shape:scalars:)", shape: [2, 2], count: 3)) {
            try Tensor(shape: [2, 2], scalars: [1, 2, 3])
        }
        #expect(throws: TensorError.self) { try Tensor(shape: [-1, 2], scalars: []) }
        #expect(throws: TensorError.notScalar(op: "item", shape: [2])) { try Tensor(zeros: [2]).item() }
        let w = try Tensor.parameter(shape: [2], scalars: [1, 2])
        #expect(throws: TensorError.notScalar(op: "backward", shape: [2])) { try scale(w, by: 2).backward() }
        #expect(try mean(w).item() == 1.5)
        let error = TensorError.shapeMismatch(op: "add", shapes: [[2, 3], [3, 2]], reason: "elementwise operands must have the same shape")
        #expect(error.description == "add: shapes [2, 3] and [3, 2] do not fit: elementwise operands must have the same shape.")
    }
}

import Foundation
