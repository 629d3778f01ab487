// ReLU and the fused softmax + cross-entropy loss on the CPU.
#pragma once
#include <cstdint>

#include "common/dense_shapes.h"

namespace wsr::cpu {

// y = max(x, 0) over n values (NaN passes through). y may equal x (in place).
void relu_forward(int64_t n, const float* x, float* y);

// dx = dy where the forward output y > 0, else 0 (so the gradient at x == 0 is 0). dx may equal dy.
void relu_backward(int64_t n, const float* y, const float* dy, float* dx);

// Softmax cross-entropy of logits [n, classes] against uint8 labels [n] (values < classes).
// Per row: p = softmax(logits - max), loss = -log p[label]; dlogits (may be null) = (p - onehot) / n,
// the gradient of the MEAN loss. stats[0] (+)= Σ losses, stats[1] (+)= rows whose first argmax
// equals the label; with accumulate == false stats are overwritten, else added to.
// A label >= classes throws std::out_of_range naming the row, before anything is written.
// Deterministic for any thread count (rows are reduced in fixed blocks, summed in order).
void softmax_cross_entropy(const ClassifierShape& s, const float* logits, const uint8_t* labels, float* dlogits,
                           float* stats, bool accumulate);

}  // namespace wsr::cpu
