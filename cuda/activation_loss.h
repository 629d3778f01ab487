// ReLU and the fused softmax + cross-entropy loss on a CUDA device (asynchronous launchers on the
// default stream; device pointers). Same contracts as cpu/activation_loss.h, except:
//  - softmax_cross_entropy cannot throw for a label >= classes (labels live on the device): such a
//    row reads and writes nothing out of bounds, adds NaN to stats[0] (so the epoch's loss shows it),
//    is not counted correct, and gets a NaN dlogits row.
//  - the stats are summed with float atomics, so their last bits may vary from run to run.
#pragma once
#include <cstdint>

#include "common/dense_shapes.h"

namespace wsr::cuda {

void relu_forward(int64_t n, const float* x, float* y);
void relu_backward(int64_t n, const float* y, const float* dy, float* dx);
void softmax_cross_entropy(const ClassifierShape& s, const float* logits, const uint8_t* labels, float* dlogits,
                           float* stats, bool accumulate);

}  // namespace wsr::cuda
