// A conv or locally connected layer shape for the checkers, written as the binding takes it (four
// paddings; the output size follows).
#pragma once
#include "common/window_geometry.h"

namespace h {

struct WindowCase {
  const char* name;
  int n, c, h, w, k, kh, kw, sh, sw, pad_top, pad_bottom, pad_left, pad_right;
};

inline wsr::WindowGeometry geometry(const WindowCase& t) {
  return wsr::WindowGeometry{t.n,  t.c,  t.h,       t.w,        t.k, t.kh, t.kw, t.sh, t.sw, t.pad_top, t.pad_left,
                             (t.h + t.pad_top + t.pad_bottom - t.kh) / t.sh + 1,
                             (t.w + t.pad_left + t.pad_right - t.kw) / t.sw + 1};
}

}  // namespace h
